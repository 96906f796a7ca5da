"""Run the fake WooCommerce store on a loopback port: ``python -m ecom_woocommerce.fake --port N``.

It prints the consumer key and secret to use (they are the fake's own, not a real store's) and what
it serves. ``--log FILE`` appends one JSON line per request (method, path, query with the
credentials masked, status, duration in ms; ``-`` for the terminal), to watch a client.
"""

from __future__ import annotations

import argparse
import collections

from ecom.fake import serve_forever

from ecom_woocommerce.fake.server import WooCommerceFake

SPLIT = """\
How the seed splits: --orders N makes N orders with every status, about 1 in 20 of them in the
trash, plus one checkout draft (status checkout-draft, a cart not yet paid for) per 50 orders.
The default listing (GET /orders, status "any") leaves trashed orders out (status=trash lists
them) but shows the drafts, which ecom's status table marks "not imported": with --orders 250 (seed 0)
the store holds 255 orders and lists 235, 5 of them drafts. The numbers for the seed in use are
printed at start.
"""


def summary(fake: WooCommerceFake) -> str:
    """What the fake serves, in the words of the --help text."""
    statuses = collections.Counter(o["status"] for o in fake.orders.values())
    listed = sum(n for s, n in statuses.items() if s != "trash")
    counts = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items(), key=lambda pair: (-pair[1], pair[0])))
    return (f"serving {len(fake.orders)} orders ({counts}): {listed} in the default listing (trash left out, "
            f"{statuses['checkout-draft']} checkout drafts in); {len(fake.skus())} SKUs")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ecom_woocommerce.fake", description=__doc__.splitlines()[0],
                                     epilog=SPLIT, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="port to listen on (default 8081; 0 picks one)")
    parser.add_argument("--orders", type=int, default=25, help="orders to seed, before drafts (default 25; see below)")
    parser.add_argument("--products", type=int, default=12, help="sellable SKUs to seed (default 12)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for the data (default 0)")
    parser.add_argument("--log", metavar="FILE", default=None,
                        help="append one JSON line per request (method, path, query, status, duration_ms); '-' prints them")
    args = parser.parse_args(argv)
    fake = WooCommerceFake()
    fake.seed(orders=args.orders, products=args.products, seed=args.seed)
    print(f"consumer key:    {fake.consumer_key}\nconsumer secret: {fake.consumer_secret}", flush=True)
    print(summary(fake), flush=True)
    serve_forever(fake, args.host, args.port, log=args.log)


if __name__ == "__main__":
    main()
