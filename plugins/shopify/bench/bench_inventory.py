"""Benchmark (b): API calls to push S changed quantities, against ⌈S / cap⌉, and for re-runs.

    python plugins/shopify/bench/bench_inventory.py --skus 1000 --cap 250

Three pushes to a fake Shopify (Standard plan limits, virtual clock): the first, which also
resolves each SKU to its inventory item (``productVariants`` by 50 SKUs) and the locations once;
a second push of S new quantities with those ids cached in ``connection.refs``; and an unchanged
re-run. Which quantities changed is the core's delta memory (another issue): the driver is handed
only the changed levels, so an unchanged re-run reaches it as an empty batch, measured here; the
same for a status re-run, which reads the orders and finds nothing to write.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _clock import VirtualClock  # noqa: E402

from ecom import StatusUpdate, StockLevel  # noqa: E402
from ecom.plugins import get_driver  # noqa: E402
from ecom.testing.drivers import fake_connection  # noqa: E402
from ecom_shopify.fake import ShopifyFake  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=1000)
    parser.add_argument("--cap", type=int, default=250)
    args = parser.parse_args()
    clock = VirtualClock().install()
    fake = ShopifyFake(clock=clock, bucket=2000, restore_rate=100, inventory_cap=args.cap)
    fake.seed(products=math.ceil(args.skus * 1.15), orders=40, seed=2)  # some SKUs do not track stock
    skus = [s for s in fake.skus() if fake.stock(s) is not None][: args.skus]
    connection = dataclasses.replace(fake_connection(fake), options={"inventory_batch": args.cap})
    driver = get_driver("shopify")
    throttled: list[int] = []
    answer = fake.graphql

    def counted(body: dict, base_url: str = "") -> dict:
        result = answer(body, base_url)
        if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in result.get("errors") or []):
            throttled.append(1)
        return result

    fake.graphql = counted  # type: ignore[method-assign]
    s, floor = len(skus), math.ceil(len(skus) / args.cap)

    def push(offset: int) -> tuple[int, int, list]:
        before, writes = len(fake.requests), len(fake.writes())
        results = driver.call("push_inventory", connection=connection,
                              levels=[StockLevel(sku=sku, quantity=offset + i % 50) for i, sku in enumerate(skus)])
        return len(fake.requests) - before, len(fake.writes()) - writes, results

    first_calls, first_writes, results = push(10)
    assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
    second_calls, second_writes, _ = push(20)
    assert all(fake.stock(sku) == 20 + i % 50 for i, sku in enumerate(skus))
    before = len(fake.requests)
    driver.call("push_inventory", connection=connection, levels=[])
    unchanged = len(fake.requests) - before

    orders = [o for o in fake.store.all("Order") if not o["closed"] and not o["cancelledAt"]
              and any(fo["status"] == "OPEN" for fo in o["fulfillmentOrders"])][:20]
    updates = [StatusUpdate(order_id=o["id"], kind="shipped", tracking_number=f"1Z{i:04d}", carrier="UPS") for i, o in enumerate(orders)]
    driver.call("push_status", connection=connection, updates=updates)
    before_requests, before_writes, before_throttled = len(fake.requests), len(fake.writes()), len(throttled)
    driver.call("push_status", connection=connection, updates=updates)

    print(f"(b) push {s} changed quantities, at most {args.cap} per inventorySetQuantities (⌈S / cap⌉ = {floor})")
    print(f"    first push:  {first_calls:>4} calls, {first_writes} writes   (+ {math.ceil(s / 50)} SKU lookups and 1 location read, cached after)")
    print(f"    second push: {second_calls:>4} calls, {second_writes} writes   (ids cached in connection.refs)")
    print(f"    unchanged re-run (the core passes no level): {unchanged} calls")
    print(f"    status re-run of {len(updates)} shipped orders: {len(fake.requests) - before_requests} call(s) "
          f"({len(throttled) - before_throttled} answered THROTTLED), {len(fake.writes()) - before_writes} writes")
    print(f"    THROTTLED answers over the whole run: {len(throttled)} (each operation starts with a fresh pacer)")
    print(f"    rate-limit wait over all of it: {clock.now:.1f} s (virtual)")


if __name__ == "__main__":
    main()
