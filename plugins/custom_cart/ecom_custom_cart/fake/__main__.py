"""Run the ecom cart protocol's reference server on a loopback port: ``python -m ecom_custom_cart.fake --port N``.

It prints the bearer token to use (the fake's own, not a real store's).
"""

from __future__ import annotations

import argparse

from ecom.fake import serve_forever

from ecom_custom_cart.fake.server import CustomCartFake


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ecom_custom_cart.fake", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8082, help="port to listen on (default 8082; 0 picks one)")
    parser.add_argument("--orders", type=int, default=25, help="orders to seed (default 25)")
    parser.add_argument("--products", type=int, default=12, help="products to seed (default 12)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for the data (default 0)")
    args = parser.parse_args(argv)
    fake = CustomCartFake()
    fake.seed(orders=args.orders, products=args.products, seed=args.seed)
    print(f"bearer token: {fake.token}", flush=True)
    serve_forever(fake, args.host, args.port)


if __name__ == "__main__":
    main()
