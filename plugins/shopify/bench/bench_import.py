"""Benchmark (a) and (c): API calls and time to import N orders from a fake Shopify on the
Standard plan's limits (bucket 2,000 points, 100 points/s), on a virtual clock.

    python plugins/shopify/bench/bench_import.py --orders 1000

Two imports of the same N orders: a first sync (a bulk operation) and an incremental pull forced
to page (``bulk_threshold`` above N). For each: the calls made against the fewest possible, the
rate-limit time it took (virtual seconds spent waiting for the bucket) against the least the
bucket allows (the points the queries actually cost, less the full bucket at the start, over the
restore rate), and the real time the process spent.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _clock import VirtualClock  # noqa: E402

from ecom.plugins import get_driver  # noqa: E402
from ecom.testing.drivers import drain, fake_connection  # noqa: E402
from ecom_shopify.api import MAX_QUERY_COST  # noqa: E402
from ecom_shopify.fake import ShopifyFake  # noqa: E402

BUCKET, RESTORE = 2000, 100


def run(orders: int, *, paged: bool) -> dict[str, float]:
    clock = VirtualClock().install()
    fake = ShopifyFake(clock=clock, bucket=BUCKET, restore_rate=RESTORE)
    fake.seed(orders=orders, products=60, seed=1)
    costs: list[tuple[int, int | None]] = []
    answer = fake.graphql

    def counted(body: dict, base_url: str = "") -> dict:
        result = answer(body, base_url)
        cost = result["extensions"]["cost"]
        costs.append((cost["requestedQueryCost"], cost["actualQueryCost"]))
        return result

    fake.graphql = counted  # type: ignore[method-assign]
    connection = fake_connection(fake)
    since = None
    if paged:
        connection = dataclasses.replace(connection, options={"bulk_threshold": orders + 1})
        since = datetime(2026, 1, 1, tzinfo=UTC)
    started = time.perf_counter()
    fetched = drain(get_driver("shopify").call("fetch_orders", connection=connection, since=since))
    real = time.perf_counter() - started
    assert len(fetched.records) == orders and not fetched.failures
    actual = sum(a or 0 for _, a in costs)
    per_order_requested = max(r for r, _ in costs)
    return {
        "calls": len(fake.requests), "throttled": sum(1 for _, a in costs if a is None), "pages": fetched.pages,
        "virtual": clock.now, "floor_time": max(0.0, (actual - BUCKET) / RESTORE), "actual_points": actual,
        "real": real, "requested_max": per_order_requested,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    n = parser.parse_args().orders
    bulk, paged = run(n, paged=False), run(n, paged=True)
    per_page = 5  # the ORDERS query costs 2 + 187 per order requested (10 lines, 5 shipping lines)
    print(f"(a) API calls to import {n} orders (Standard plan limits: bucket {BUCKET}, {RESTORE} points/s)")
    print(f"    first sync, bulk operation: {bulk['calls']:>5} calls   minimum possible 3 (run, one poll, download)")
    print(f"    incremental, cursor pages:  {paged['calls']:>5} calls   minimum possible {1 + math.ceil(n / per_page)} "
          f"(count + ⌈{n}/{per_page}⌉ pages under the {MAX_QUERY_COST}-point query limit; "
          f"{1 + math.ceil(n / 250)} if a page could hold 250); THROTTLED answers: {paged['throttled']}")
    print(f"(c) time to import {n} orders")
    print(f"    bulk:  rate-limit wait {bulk['virtual']:7.1f} s   least the bucket allows {bulk['floor_time']:7.1f} s   "
          f"real {bulk['real']:5.2f} s")
    print(f"    pages: rate-limit wait {paged['virtual']:7.1f} s   least the bucket allows {paged['floor_time']:7.1f} s   "
          f"real {paged['real']:5.2f} s   ({paged['actual_points']:.0f} points actually used)")


if __name__ == "__main__":
    main()
