"""What a re-sync costs when a few orders keep failing: requests to the cart and orders read.

For each cart fake that is installed (Test Cart always; WooCommerce, Shopify when their drivers
are), the fake is seeded with N orders, the line of the K oldest-changed open orders is given a SKU
no item has (they fail on every sync), one sync imports the rest, and a second sync runs with
nothing changed in the cart. Prints the second sync's requests to the cart and the orders it read.

    python bench/failed_orders_resync.py [N] [K]        # default: 240 5

Run it from an older checkout's tree (PYTHONPATH=<checkout>/core:<checkout>/plugins/...) to see
the same re-sync before failed orders were kept aside: the failing orders then pinned the
watermark, and every re-sync read again everything changed since the oldest of them.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

BROKEN_SKU = "BENCH-NO-SUCH-ITEM"


def testcart() -> tuple[Any, Any, Any]:
    from ecom.testing import testcart
    from ecom.testing.testcart_fake import FakeTestCart

    def lines(fake: Any) -> list[tuple[str, list[dict[str, Any]]]]:
        return [(o["updated_at"], o["items"]) for o in fake.orders.values() if not o.get("archived_at") and o["status"] in ("paid", "pending")]

    return testcart, FakeTestCart(rate_limit=10**9), lines


def woocommerce() -> tuple[Any, Any, Any]:
    from ecom_woocommerce import driver
    from ecom_woocommerce.fake import WooCommerceFake

    def lines(fake: Any) -> list[tuple[str, list[dict[str, Any]]]]:
        return [(o["date_modified_gmt"], o["line_items"]) for o in fake.orders.values() if o["status"] in ("processing", "on-hold")]

    return driver, WooCommerceFake(), lines


def shopify() -> tuple[Any, Any, Any]:
    import ecom_shopify
    from ecom_shopify.fake import ShopifyFake

    def lines(fake: Any) -> list[tuple[str, list[dict[str, Any]]]]:
        found = [o for o in fake.store.all("Order") if not o.get("closedAt") and not o.get("cancelledAt")]
        return [(o["updatedAt"], o["lineItems"]) for o in found]

    return ecom_shopify, ShopifyFake(), lines


def resync(name: str, make: Any, orders: int, failing: int) -> None:
    from sqlmodel import Session

    from ecom import db, integrations, plugins
    from ecom import models as m
    from ecom.jobs import lifecycle
    from ecom.jobs.runner import run_job
    from ecom.sample import sample_settings, seed_back_office, untracked_skus

    try:
        module, fake, lines = make()
    except ImportError:
        print(f"{name:<12} (driver not installed: skipped)")
        return
    manager = plugins.make_manager(load_entrypoints=False)
    manager.pm.register(module, name=name)
    plugins.set_manager(manager)
    fake.seed(orders=orders, products=12, seed=3)
    for _, items in sorted(lines(fake), key=lambda pair: pair[0])[:failing]:
        items[0]["sku"] = BROKEN_SKU
    connection = fake.connection("https://bench-cart.test")
    with tempfile.TemporaryDirectory() as folder:
        os.environ["ECOM_SECRET_KEY_FILE"] = str(Path(folder) / "key")
        url = f"sqlite:///{folder}/bench.db"
        db.init(url)
        engine = db.open_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            seed_back_office(session, fake.skus(), untracked_skus(fake))
            integration = integrations.create(
                session, "bench", fake.kind, website_name=connection.website_name, api_url=connection.api_url,
                username=connection.username, password=connection.password.get_secret_value(), settings=sample_settings(),
            )
            integrations.activate(session, integration)
            session.commit()
        runs = []
        for _ in range(2):
            with Session(engine, expire_on_commit=False) as session:
                integration = integrations.get(session, "bench")
                job = lifecycle.create_job(session, integration, trigger=m.JobTrigger.MANUAL, options={"phases": ["import_orders"]})
            before = len(fake.requests)
            job = run_job(engine, job.id, transport=fake.transport())
            runs.append((len(fake.requests) - before, job.counts.get("import_orders", {})))
        engine.dispose()
    (first_calls, first), (calls, counts) = runs
    print(f"{name:<12}{first_calls:>12}{first.get('created', 0):>9}{first.get('failed', 0):>8}"
          f"{calls:>14}{counts.get('fetched', 0):>13}{counts.get('failed', 0):>12}")


def main(orders: int, failing: int) -> None:
    print(f"{orders} orders, the {failing} oldest open ones failing on every sync")
    print(f"{'cart':<12}{'1st: calls':>12}{'created':>9}{'failed':>8}{'re-sync calls':>14}{'orders read':>13}{'errors':>12}")
    for name, make in (("testcart", testcart), ("woocommerce", woocommerce), ("shopify", shopify)):
        resync(name, make, orders, failing)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*(args + [240, 5][len(args):]))
