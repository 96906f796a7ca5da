"""Mapping mode end to end through the CLI: a back office and the fake legacy shop on a loopback port.

The integration is made by ``ecom integration apply`` from a TOML file whose
``general.driver_options`` say ``mode = "mapping"`` and ``mapping_file`` = the shipped example
mapping (docs/custom-cart-mapping-example.toml). Then ``ecom sync`` imports the shop's orders once,
pushes a shipped order's state with its tracking number and the stock levels, and a re-run with
nothing changed writes nothing to the shop. SQLite only: the driver's wiring is under test here.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import tomli_w
from ecom import models as m
from ecom.sample import sample_settings, seed_back_office
from sqlmodel import select

from ecom_custom_cart.legacy_fake import KEY, LegacyShopFake

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "custom-cart-mapping-example.toml"
NAME, ORDERS, TRACKING = "legacy", 150, "00340434161094042557"
IMPORTED = ("new", "paid", "awaiting payment")  # imported by the example's [statuses]; "deleted" is archived


def run(ecom_cli, *args: str) -> dict:
    result = ecom_cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ok(ecom_cli, *args: str) -> str:
    result = ecom_cli(*args)
    assert result.exit_code == 0, result.output
    return result.output


def integration_file(tmp_path: Path, url: str) -> Path:
    """The integration as ``ecom integration apply`` reads it: mapping mode, the example mapping beside it."""
    (tmp_path / "legacy-shop.toml").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    settings = sample_settings().model_dump(mode="json", by_alias=True, exclude_none=True)
    settings["shipping"]["methods"] = [{"method": "UPS Ground", "cart_method": "DHL Paket"}]
    settings["general"]["driver_options"] = {**settings["general"].get("driver_options", {}), "mode": "mapping",
                                             "mapping_file": "legacy-shop.toml"}
    document = {"name": NAME, "cart": "custom_cart", "active": True,
                "connection": {"website_name": "Legacy Shop", "api_url": url, "username": "shop", "password_env": "LEGACY_KEY"},
                **settings}
    path = tmp_path / "integration.toml"
    path.write_text(tomli_w.dumps(document), encoding="utf-8")
    return path


def available(ecom_db) -> dict[str, int]:
    """On hand less committed over every location, per SKU: what the inventory push sends."""
    with ecom_db.session() as session:
        rows = session.exec(select(m.Item.sku, m.Stock.on_hand, m.Stock.committed).join(m.Stock, m.Stock.item_id == m.Item.id)).all()
    totals: dict[str, Decimal] = {}
    for sku, on_hand, committed in rows:
        totals[sku] = totals.get(sku, Decimal(0)) + on_hand - committed
    return {sku: max(0, int(q)) for sku, q in totals.items()}


@pytest.mark.parametrize("ecom_db", ["sqlite"], indirect=True)
def test_a_mapped_shop_end_to_end_through_the_cli(ecom_db, ecom_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    monkeypatch.setenv("LEGACY_KEY", KEY)
    fake = LegacyShopFake()
    fake.seed(orders=ORDERS, products=5, seed=14)
    fake.now += timedelta(minutes=5)
    kept = {i: o for i, o in fake.orders.items() if o["state"] != "deleted"}
    assert {o["state"] for o in kept.values()} <= set(IMPORTED) and 0 < len(kept) < ORDERS

    with fake.serve() as url:
        with ecom_db.session() as session:
            seed_back_office(session, fake.skus())
        ok(ecom_cli, "integration", "apply", str(integration_file(tmp_path, url)))
        assert "Legacy Shop 2.3 answered." in ok(ecom_cli, "integration", "test", NAME)

        # 1. one sync: every order imported once, every stock level pushed
        first = run(ecom_cli, "sync", NAME)
        imported = first["counts"]["import_orders"]
        assert imported["failed"] == 0, first.get("errors")
        assert imported["fetched"] == ORDERS and imported["created"] == len(kept), first["counts"]
        assert imported["skipped"] == ORDERS - len(kept), "archived (deleted) orders are read, not imported"
        with ecom_db.session() as session:
            refs = session.exec(select(m.ExternalRef.external_id).where(m.ExternalRef.kind == "order")).all()
            numbers = session.exec(select(m.Transaction.web_order_number).where(m.Transaction.integration_id.is_not(None))).all()
        assert sorted(refs) == sorted(str(i) for i in kept)
        assert sorted(numbers) == sorted(o["ref"] for o in kept.values())
        reads = [r for r in fake.requests if r.method == "GET" and r.path == "/api/orders"]
        assert len(reads) == -(-ORDERS // 100), "one request per page of 100 orders"
        expected = available(ecom_db)
        assert first["counts"]["push_inventory"]["updated"] == len(fake.skus()), first["counts"]
        assert sorted((w.method, w.path) for w in fake.writes()) == [("PUT", f"/api/stock/LG-{sku}") for sku in fake.skus()]
        assert {sku: fake.stock(sku) for sku in fake.skus()} == {sku: expected[sku] for sku in fake.skus()}

        # 2. the back office ships a paid order; the next sync sets it dispatched with the tracking number
        order = next(o for o in fake.orders.values() if o["state"] == "paid")
        ok(ecom_cli, "orders", "ship", order["ref"], "--tracking", TRACKING, "--carrier", "DHL")
        writes = len(fake.writes())
        fake.now += timedelta(minutes=1)
        shipped = run(ecom_cli, "sync", NAME)
        assert shipped["counts"]["push_status"]["updated"] == 1, shipped["counts"]
        assert order["state"] == "dispatched" and fake.tracking(str(order["id"])) == [TRACKING]
        assert [(w.method, w.path) for w in fake.writes()[writes:]] == [("POST", f"/api/orders/{order['id']}/state")]

        # 3. nothing changed: the orders are read again, nothing is created and nothing written
        writes = len(fake.writes())
        fake.now += timedelta(minutes=1)
        quiet = run(ecom_cli, "sync", NAME)
        assert quiet["counts"]["import_orders"]["created"] == 0 and quiet["counts"]["import_orders"]["failed"] == 0, quiet["counts"]
        assert "push_status" not in quiet["counts"] and quiet["counts"]["push_inventory"]["updated"] == 0, quiet["counts"]
        assert len(fake.writes()) == writes, [(w.method, w.path) for w in fake.writes()[writes:]]
