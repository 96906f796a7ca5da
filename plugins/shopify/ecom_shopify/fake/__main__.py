"""Serve a fake Shopify on a loopback port: ``python -m ecom_shopify.fake --port 8765 --orders 1000``.

It prints the connection settings to give ``ecom integration add`` (the shop name, the API URL and
the fake's access token) and serves until interrupted. ``--log FILE`` appends one JSON line per
request (method, path, query, status, duration in ms; ``-`` for the terminal), to watch a client.
"""

from __future__ import annotations

import argparse

from ecom.fake import serve_forever
from ecom_shopify.fake import ShopifyFake


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ecom_shopify.fake", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--orders", type=int, default=50, help="orders to generate")
    parser.add_argument("--products", type=int, default=24, help="SKUs to generate, with stock")
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same shop")
    parser.add_argument("--token", default=None, help="the access token to accept (default: a random one)")
    parser.add_argument("--bucket", type=float, default=20_000, help="query cost bucket size, points")
    parser.add_argument("--restore-rate", type=float, default=1_000, help="points restored per second")
    parser.add_argument("--log", metavar="FILE", default=None,
                        help="append one JSON line per request (method, path, query, status, duration_ms); '-' prints them")
    args = parser.parse_args(argv)
    fake = ShopifyFake(token=args.token, bucket=args.bucket, restore_rate=args.restore_rate)
    fake.seed(orders=args.orders, products=args.products, seed=args.seed)
    print(f"shop name: ecom-demo   API URL: http://{args.host}:{args.port}   access token: {fake.token}", flush=True)
    serve_forever(fake, args.host, args.port, log=args.log)


if __name__ == "__main__":
    main()
