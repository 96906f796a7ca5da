"""How many requests the Custom Cart driver makes against the protocol's reference server, in process.

    python plugins/custom_cart/bench/requests.py [--orders 100,1000,5000] [--skus 500]

1. Import N orders: requests made vs ⌈N/100⌉ (100 orders a page, by the store's change cursor), and
   orders per second (driver + reference server in one process: an upper bound on the driver's cost).
2. Push S quantities: write requests vs ⌈S/100⌉ (100 levels a request).
3. Push S order statuses: write requests vs ⌈S/100⌉.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ecom.http  # noqa: E402
from ecom.records import StatusUpdate, StockLevel  # noqa: E402

from ecom_custom_cart import driver  # noqa: E402
from ecom_custom_cart.fake import CustomCartFake  # noqa: E402

ecom.http.default_sleep = lambda seconds: None  # no retries are expected; never wait if one happens


def connect(fake: CustomCartFake) -> object:
    return dataclasses.replace(fake.connection("https://shop.example.com/ecom"), transport=fake.transport())


def import_orders(n: int) -> dict[str, object]:
    fake = CustomCartFake()
    fake.seed(orders=n, products=40, seed=1)
    conn = connect(fake)
    fake.requests.clear()
    started = time.perf_counter()
    fetched = sum(len(page.records) for page in driver.fetch_orders(connection=conn, since=None))
    seconds = time.perf_counter() - started
    return {"orders": n, "fetched": fetched, "requests": len(fake.requests), "ceil(N/100)": math.ceil(n / 100),
            "orders/s": round(fetched / seconds)}


def push_inventory(skus: int) -> dict[str, object]:
    fake = CustomCartFake()
    fake.seed(products=skus, seed=2)
    conn = connect(fake)
    levels = [StockLevel(sku=s, quantity=n % 50) for n, s in enumerate(fake.skus()) if fake.stock(s) is not None]
    fake.requests.clear()
    results = driver.push_inventory(connection=conn, levels=levels)
    return {"levels": len(levels), "ok": sum(r.ok for r in results), "requests": len(fake.requests),
            "ceil(S/100)": math.ceil(len(levels) / 100)}


def push_status(n: int) -> dict[str, object]:
    fake = CustomCartFake()
    fake.seed(orders=n, products=40, seed=3)
    conn = connect(fake)
    updates = [StatusUpdate(order_id=i, kind="closed") for i in fake.orders]
    fake.requests.clear()
    results = driver.push_status(connection=conn, updates=updates)
    return {"updates": n, "ok": sum(r.ok for r in results), "requests": len(fake.requests), "ceil(S/100)": math.ceil(n / 100)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", default="100,1000,5000")
    parser.add_argument("--skus", type=int, default=500)
    args = parser.parse_args()
    for n in (int(x) for x in args.orders.split(",")):
        print("import ", import_orders(n))
    print("stock  ", push_inventory(args.skus))
    print("status ", push_status(min(1000, max(int(x) for x in args.orders.split(",")))))


if __name__ == "__main__":
    main()
