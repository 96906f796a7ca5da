"""How many WooCommerce API requests the driver makes, against the fake store, in process.

    python plugins/woocommerce/bench/requests.py [--orders 100,1000,10000] [--skus 1000]

1. Import N orders: requests made vs ⌈N/100⌉ + O(1) (the O(1): the trash pass, one request
   when nothing is trashed since the watermark).
2. Push S changed quantities over a catalogue of simple products and variations: write requests vs
   the minimum WooCommerce's batch routes allow (one ``products/batch`` per 100 simple products,
   one ``variations/batch`` per variable product per 100 of its variations), and the SKU lookups
   a first push needs (⌈S/100⌉; later pushes use the cached ids).
3. Push S order statuses: ⌈S/100⌉ batches plus one note per shipped order.
4. Whole ``ecom sync`` jobs (the core's job engine, in a throwaway SQLite back office): requests
   and writes of a first sync, and of a re-run with nothing changed (the core's delta memory
   sends no quantity or status twice; orders are re-read only from the watermark).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ecom.http  # noqa: E402
from ecom.records import StatusUpdate, StockLevel  # noqa: E402

from ecom_woocommerce import driver  # noqa: E402
from ecom_woocommerce.fake import WooCommerceFake  # noqa: E402

ecom.http.default_sleep = lambda seconds: None  # no retries are expected; never wait if one happens


def connect(fake: WooCommerceFake) -> object:
    return dataclasses.replace(fake.connection("https://shop.example.com"), transport=fake.transport())


def import_orders(n: int) -> dict[str, object]:
    fake = WooCommerceFake()
    fake.seed(orders=n, products=40, seed=1)
    conn = connect(fake)
    fake.requests.clear()
    started = time.perf_counter()
    fetched = sum(len(page.records) for page in driver.fetch_orders(connection=conn, since=None))
    seconds = time.perf_counter() - started
    listed = sum(o["status"] != "trash" for o in fake.orders.values())
    trashed = n - (listed - sum(o["status"] == "checkout-draft" for o in fake.orders.values()))
    calls = len(fake.requests)
    fake.requests.clear()
    latest = max(o.updated_at for page in driver.fetch_orders(connection=conn, since=None) for o in page.records)
    fake.requests.clear()
    rerun = sum(len(p.records) for p in driver.fetch_orders(connection=conn, since=latest))
    return {
        "orders": n, "fetched": fetched, "requests": calls, "ceil(N/100)": math.ceil(n / 100),
        "pages any+trash": math.ceil(listed / 100) + max(1, math.ceil(trashed / 100)),
        "orders/s": round(fetched / seconds), "re-read at watermark": f"{len(fake.requests)} requests, {rerun} orders, {len(fake.writes())} writes",
    }


def push_inventory(skus: int, changed: int) -> dict[str, object]:
    fake = WooCommerceFake()
    fake.seed(products=skus, seed=2)
    conn = connect(fake)
    chosen = random.Random(changed).sample(fake.skus(), changed)
    levels = [StockLevel(sku=s, quantity=random.Random(s).randint(0, 99)) for s in chosen]
    parents: dict[int, int] = {}
    simple = 0
    for sku in chosen:
        _, variation = fake._by_sku(sku)
        if variation is None:
            simple += 1
        else:
            parents[variation["parent_id"]] = parents.get(variation["parent_id"], 0) + 1
    minimum = math.ceil(simple / 100) + sum(math.ceil(c / 100) for c in parents.values())
    fake.requests.clear()
    results = driver.push_inventory(connection=conn, levels=levels)
    assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
    first = (len(fake.writes()), len(fake.requests) - len(fake.writes()))
    fake.requests.clear()
    driver.push_inventory(connection=conn, levels=levels)
    second = (len(fake.writes()), len(fake.requests) - len(fake.writes()))
    fake.requests.clear()
    driver.push_inventory(connection=conn, levels=[])
    return {
        "skus": skus, "changed": changed, "min writes": minimum, "writes": first[0], "sku lookups": first[1],
        "ceil(S/100)": math.ceil(changed / 100), "2nd push writes+lookups": f"{second[0]}+{second[1]}",
        "unchanged (empty batch)": len(fake.requests),
    }


def push_status(count: int) -> dict[str, object]:
    fake = WooCommerceFake()
    fake.seed(orders=count * 2, seed=3)
    conn = connect(fake)
    open_ids = [str(i) for i, o in fake.orders.items() if o["status"] not in ("trash", "checkout-draft")][:count]
    updates = [
        StatusUpdate(order_id=oid, kind="shipped", carrier="UPS", tracking_number=f"1Z{n:08}") if n % 2 else StatusUpdate(order_id=oid, kind="closed")
        for n, oid in enumerate(open_ids)
    ]
    fake.requests.clear()
    results = driver.push_status(connection=conn, updates=updates)
    assert all(r.ok for r in results)
    shipped = sum(u.kind == "shipped" for u in updates)
    return {"updates": len(updates), "requests": len(fake.requests), "ceil(S/100) + shipped notes": math.ceil(len(updates) / 100) + shipped}


def sync_twice(orders: int, skus: int) -> dict[str, object]:
    import tempfile

    from sqlmodel import Session

    from ecom import db, integrations
    from ecom import models as m
    from ecom.demo import demo_environment
    from ecom.jobs import lifecycle
    from ecom.jobs.runner import run_job
    from ecom.sample import sample_settings, seed_back_office

    fake = WooCommerceFake()
    fake.seed(orders=orders, products=skus, seed=4)
    with tempfile.TemporaryDirectory() as folder, demo_environment(Path(folder)) as url, fake.serve() as base:
        db.init(url)
        engine = db.open_engine(url)
        conn = fake.connection(base)
        with Session(engine, expire_on_commit=False) as session:
            seed_back_office(session, fake.skus())
            integration = integrations.create(
                session, "woo", "woocommerce", website_name="Bench", api_url=base, username=conn.username,
                password=conn.password.get_secret_value(), settings=sample_settings(),
            )
            integrations.activate(session, integration)
            session.commit()
        rows = []
        for run in ("first sync", "unchanged re-run"):
            fake.requests.clear()
            with Session(engine, expire_on_commit=False) as session:
                job = lifecycle.create_job(session, integrations.get(session, "woo"), trigger=m.JobTrigger.MANUAL, options={})
            started = time.perf_counter()
            done = run_job(engine, job.id)
            seconds = time.perf_counter() - started
            counts = done.counts
            rows.append(f"{run}: {len(fake.requests)} requests, {len(fake.writes())} writes, "
                        f"{counts['import_orders']['created']} orders created, "
                        f"{counts.get('push_inventory', {}).get('updated', 0)} quantities pushed, {seconds:.1f}s")
        engine.dispose()
    return {"orders": orders, "skus": skus, "first sync": rows[0].split(": ", 1)[1], "re-run": rows[1].split(": ", 1)[1]}


def table(rows: list[dict[str, object]]) -> str:
    heads = list(rows[0])
    widths = [max(len(str(h)), *(len(str(r[h])) for r in rows)) for h in heads]
    line = lambda cells: "  ".join(str(c).rjust(w) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join([line(heads), *(line([r[h] for h in heads]) for r in rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", default="100,1000,10000")
    parser.add_argument("--skus", type=int, default=1000)
    parser.add_argument("--changed", default="1,10,100,500,1000")
    parser.add_argument("--statuses", default="1,50,250")
    parser.add_argument("--sync-orders", type=int, default=300, help="orders for the whole-job runs (section 4)")
    args = parser.parse_args()
    print("1. Importing N orders\n" + table([import_orders(int(n)) for n in args.orders.split(",")]), end="\n\n")
    rows = [push_inventory(args.skus, int(s)) for s in args.changed.split(",") if int(s) <= args.skus]
    print("2. Pushing S changed quantities\n" + table(rows), end="\n\n")
    print("3. Pushing S order statuses\n" + table([push_status(int(s)) for s in args.statuses.split(",")]), end="\n\n")
    print("4. Whole ecom sync jobs\n" + table([sync_twice(args.sync_orders, 40)]))


if __name__ == "__main__":
    main()
