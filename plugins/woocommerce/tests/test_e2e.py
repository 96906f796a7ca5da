"""End to end through the CLI: a back office and a fake WooCommerce store on a loopback port.

``ecom sync`` binds the store's products and variations to items, imports 1,000 orders once,
pushes a shipped order back (``completed`` with a tracking note) and sends changed quantities to
the right products and variations; a re-run with nothing changed writes nothing to the store.
Requests travel over a real socket, signed with OAuth 1.0a. SQLite only: the driver is under test
here; the core's tests cover PostgreSQL.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from ecom import integrations
from ecom import models as m
from ecom.models import utcnow
from ecom.sample import sample_settings, seed_back_office
from ecom.settings import IntegrationSettings
from sqlmodel import select

from ecom_woocommerce.fake import WooCommerceFake
from ecom_woocommerce.fake.seed import SHIPPING

ORDERS, SKUS = 1000, 40


def run(ecom_cli, *args: str, expect: int = 0) -> dict:
    result = ecom_cli(*args, "--json")
    assert result.exit_code == expect, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("ecom_db", ["sqlite"], indirect=True)
def test_a_woocommerce_store_end_to_end(ecom_db, ecom_cli, clock, tmp_path, monkeypatch):
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    monkeypatch.setenv("WOO_SECRET", "unused")
    fake = WooCommerceFake(clock=clock)
    fake.seed(orders=ORDERS, products=SKUS, seed=2026)
    trashed = sum(o["status"] == "trash" for o in fake.orders.values())
    with fake.serve() as url:
        monkeypatch.setenv("WOO_SECRET", fake.consumer_secret)
        added = ecom_cli("integration", "add", "woo", "--cart", "woocommerce", "--website-name", "Fake Woo",
                         "--api-url", url, "--username", fake.consumer_key, "--password-env", "WOO_SECRET")
        assert added.exit_code == 0, added.output
        with ecom_db.session() as session:
            seed_back_office(session, fake.skus())
            settings = sample_settings().model_dump(mode="json")
            settings["shipping"]["methods"] = [{"method": "UPS Ground", "cart_method": title} for _, title, _ in SHIPPING]
            settings["general"]["import_product_group"] = "Web"
            integrations.save_settings(session, integrations.get(session, "woo"), IntegrationSettings.model_validate(settings))
        assert ecom_cli("integration", "activate", "woo").exit_code == 0
        tested = ecom_cli("integration", "test", "woo")
        assert tested.exit_code == 0 and "OAuth 1.0a" in tested.output, tested.output

        # 1. one sync: products and variations bound, 1,000 orders imported once, quantities pushed
        first = run(ecom_cli, "sync", "woo")
        counts = first["counts"]
        bound = counts["bind_products"]  # Import Products is off: the store's products are bound to items by SKU
        assert bound["fetched"] == SKUS and bound["failed"] == 0, first.get("errors")
        imported = counts["import_orders"]
        assert imported["fetched"] == ORDERS and imported["failed"] == 0, first.get("errors")
        assert imported["skipped"] == trashed and imported["created"] == ORDERS - trashed
        reads = [r for r in fake.requests if r.path.endswith("/orders") and r.method == "GET"]
        assert len(reads) <= ORDERS // 100 + 3, "⌈N/100⌉ + O(1) requests"
        assert counts["push_inventory"]["updated"] == SKUS and counts["push_inventory"]["failed"] == 0
        expected = stock_in_back_office(ecom_db)
        assert fake_stock(fake) == expected
        with ecom_db.session() as session:
            refs = session.exec(select(m.ExternalRef).where(m.ExternalRef.kind == "order")).all()
            assert len(refs) == ORDERS - trashed

        # 2. the back office ships an order and changes two quantities
        with ecom_db.session() as session:
            txn, ref = session.exec(select(m.Transaction, m.ExternalRef).join(m.ExternalRef, m.ExternalRef.local_id == m.Transaction.id)
                                    .where(m.ExternalRef.kind == "order")).first()
            order_id = ref.external_id
            txn.shipped_at, txn.tracking_number, txn.carrier = utcnow(), "1Z999AA10123456784", "UPS"
        simple = next(p["sku"] for p in fake.products.values() if p["type"] == "simple")
        variation = next(v["sku"] for v in fake.variations.values())
        add_stock(ecom_db, {simple: 11, variation: 4})
        untouched = {sku: q for sku, q in fake_stock(fake).items() if sku not in (simple, variation)}
        writes = len(fake.writes())
        shipped = run(ecom_cli, "sync", "woo")
        assert shipped["counts"]["push_status"]["updated"] == 1
        assert fake.orders[int(order_id)]["status"] == "completed" and fake.tracking(order_id) == ["1Z999AA10123456784"]
        assert "UPS" in fake.notes[int(order_id)][-1]["note"]
        assert shipped["counts"]["push_inventory"]["updated"] == 2
        assert fake.stock(simple) == expected[simple] + 11 and fake.stock(variation) == expected[variation] + 4
        assert {sku: q for sku, q in fake_stock(fake).items() if sku not in (simple, variation)} == untouched
        kinds = sorted(re.sub(r"/\d+", "/N", w.path.removeprefix("/wp-json/wc/v3")) for w in fake.writes()[writes:])
        assert kinds == ["/orders/N/notes", "/orders/batch", "/products/N/variations/batch", "/products/batch"]

        # 3. nothing changed: nothing written
        writes = len(fake.writes())
        quiet = run(ecom_cli, "sync", "woo")
        reread = quiet["counts"]["import_orders"]
        assert reread["fetched"] > 0 and reread["created"] == 0, "the overlap window is read again, nothing is created twice"
        assert "push_status" not in quiet["counts"]
        assert quiet["counts"]["push_inventory"]["updated"] == 0
        assert len(fake.writes()) == writes, [w.path for w in fake.writes()[writes:]]


def stock_in_back_office(ecom_db) -> dict[str, int]:
    """Available quantity per SKU over every location, as the inventory push computes it."""
    with ecom_db.session() as session:
        rows = session.exec(select(m.Item.sku, m.Stock.on_hand, m.Stock.committed).join(m.Stock, m.Stock.item_id == m.Item.id)).all()
    totals: dict[str, Decimal] = {}
    for sku, on_hand, committed in rows:
        totals[sku] = totals.get(sku, Decimal(0)) + on_hand - committed
    return {sku: max(0, int(q)) for sku, q in totals.items()}


def add_stock(ecom_db, more: dict[str, int]) -> None:
    with ecom_db.session() as session:
        for sku, extra in more.items():
            item = session.exec(select(m.Item).where(m.Item.sku == sku)).one()
            stock = session.exec(select(m.Stock).where(m.Stock.item_id == item.id)).first()
            stock.on_hand += extra


def fake_stock(fake: WooCommerceFake) -> dict[str, int | None]:
    return {sku: fake.stock(sku) for sku in fake.skus()}
