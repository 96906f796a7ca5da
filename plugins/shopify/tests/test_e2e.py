"""End to end through the CLI: a back office and a fake Shopify on a loopback port.

The issue's "Done means", run as a merchant would: ``ecom integration add`` (the access token from
an environment variable) and ``ecom integration apply`` (settings from a TOML file); ``ecom sync``
imports a shop of 1,000 orders once, with a bulk operation; ``ecom orders ship`` and a sync create
a fulfillment with the tracking number; stock changed by ``ecom import stock`` lands on the shop's
inventory level; a re-run with nothing new sends no mutation. Requests travel over a real socket.
The fake runs on the Standard plan's limits (a bucket of 2,000 points restored at 100 a second) on
a virtual clock, so the driver's pacing is exercised and never sleeps.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import tomli_w
from ecom import models as m
from ecom.sample import sample_settings, seed_back_office, untracked_skus
from graphql import GraphQLError, get_operation_ast, parse
from graphql.language import ast
from sqlmodel import select

from ecom_shopify.fake import ShopifyFake

ORDERS, SKUS = 1000, 40
NAME = "shop"
TRACKING = "1Z999AA10123456784"


class RecordingShopify(ShopifyFake):
    """The fake Shopify, noting the root fields of each mutation it is sent, in order."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.mutations: list[str] = []
        self.bulk_queries = 0

    def graphql(self, body: dict[str, Any], base_url: str = "https://ecom-demo.myshopify.com") -> dict[str, Any]:
        try:
            operation = get_operation_ast(parse(body.get("query") or ""), body.get("operationName"))
        except GraphQLError:
            operation = None
        if operation is not None and operation.operation == ast.OperationType.MUTATION:
            fields = [s.name.value for s in operation.selection_set.selections if isinstance(s, ast.FieldNode)]
            self.mutations += [f for f in fields if f != "bulkOperationRunQuery"]
            self.bulk_queries += "bulkOperationRunQuery" in fields
        return super().graphql(body, base_url)


def run(ecom_cli, *args: str) -> dict:
    result = ecom_cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ok(ecom_cli, *args: str) -> str:
    result = ecom_cli(*args)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_shopify_shop_end_to_end(ecom_db, ecom_cli, clock, tmp_path, monkeypatch):
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    fake = RecordingShopify(clock=clock, bucket=2000, restore_rate=100)
    fake.seed(orders=ORDERS, products=SKUS, seed=2026)
    orders = fake.store.all("Order")
    open_orders = {o["id"]: o for o in orders if not o["closedAt"]}  # closed = archived: never imported
    assert ORDERS > len(open_orders) > ORDERS // 2

    with fake.serve() as url:
        monkeypatch.setenv("SHOPIFY_TOKEN", fake.token)
        ok(ecom_cli, "integration", "add", NAME, "--cart", "shopify", "--website-name", "ecom-demo",
           "--api-url", url, "--password-env", "SHOPIFY_TOKEN")
        with ecom_db.session() as session:
            seed_back_office(session, fake.skus(), untracked_skus(fake))
        ok(ecom_cli, "integration", "apply", str(settings_file(tmp_path)))
        assert "Connected to" in ok(ecom_cli, "integration", "test", NAME)

        # 1. one sync: every open order imported once; every quantity pushed
        first = run(ecom_cli, "sync", NAME)
        imported = first["counts"]["import_orders"]
        assert imported["failed"] == 0, first.get("errors")
        assert imported["fetched"] == ORDERS and imported["skipped"] == ORDERS - len(open_orders)
        assert imported["created"] == len(open_orders)
        assert fake.bulk_queries == 1, "a first sync reads the shop's orders with one bulk operation"
        with ecom_db.session() as session:
            refs = session.exec(select(m.ExternalRef.external_id).where(m.ExternalRef.kind == "order")).all()
            numbers = session.exec(select(m.Transaction.web_order_number).where(m.Transaction.integration_id.is_not(None))).all()
            emails = session.exec(select(m.Customer.email)).all()
        assert len(refs) == len(set(refs)) and set(refs) == set(open_orders)
        assert sorted(numbers) == sorted(o["name"] for o in open_orders.values())
        duplicates = [e for e, n in Counter(e.lower() for e in emails if e).items() if n > 1]
        assert not duplicates, "one customer per email"
        assert {o["email"].lower() for o in open_orders.values()} <= {e.lower() for e in emails if e}
        tracked = [s for s in fake.skus() if fake.stock(s) is not None]
        assert first["counts"]["push_inventory"]["updated"] == len(tracked)
        pushed = {sku: fake.stock(sku) for sku in tracked}
        assert pushed == {sku: available(ecom_db, sku) for sku in tracked}
        assert fake.mutations == ["inventorySetQuantities"], "one batch holds every quantity; nothing else is written"
        again = run(ecom_cli, "sync", NAME, "--full", "--phase", "import_orders")["counts"]["import_orders"]
        assert (again["fetched"], again["created"], again["skipped"]) == (ORDERS, 0, ORDERS), "read all again, import none twice"
        assert fake.bulk_queries == 2 and fake.mutations == ["inventorySetQuantities"]

        # 2. the back office ships one open, unfulfilled order; the next sync fulfils it in Shopify
        order = next(o for o in open_orders.values()
                     if not o["cancelledAt"] and any(fo["status"] == "OPEN" for fo in o["fulfillmentOrders"]))
        assert fake.tracking(order["id"]) == []
        ok(ecom_cli, "orders", "ship", order["name"], "--tracking", TRACKING, "--carrier", "UPS")
        del fake.mutations[:]
        shipped = run(ecom_cli, "sync", NAME)
        assert shipped["counts"]["push_status"]["updated"] == 1, shipped["counts"]
        assert fake.mutations == ["fulfillmentCreate"]
        assert fake.tracking(order["id"]) == [TRACKING]
        assert order["fulfillments"][-1]["trackingInfo"][0]["company"] == "UPS"
        assert order["displayFulfillmentStatus"] == "FULFILLED"

        # 3. the back office counts 37 more of one SKU (a CSV import); the next sync sets it in Shopify
        sku = tracked[len(tracked) // 2]
        with ecom_db.session() as session:
            on_hand, committed = session.exec(
                select(m.Stock.on_hand, m.Stock.committed).join(m.Item, m.Item.id == m.Stock.item_id)
                .join(m.Location, m.Location.id == m.Stock.location_id).where(m.Item.sku == sku, m.Location.name == "Main")).one()
        (tmp_path / "stock.csv").write_text(f"item,location,on_hand,committed\n{sku},Main,{on_hand + 37},{committed}\n")
        ok(ecom_cli, "import", "stock", str(tmp_path / "stock.csv"))
        assert available(ecom_db, sku) == pushed[sku] + 37
        del fake.mutations[:]
        stocked = run(ecom_cli, "sync", NAME)
        assert stocked["counts"]["push_inventory"]["updated"] == 1, stocked["counts"]
        assert fake.mutations == ["inventorySetQuantities"]
        assert fake.stock(sku) == available(ecom_db, sku)
        assert {s: fake.stock(s) for s in tracked if s != sku} == {s: q for s, q in pushed.items() if s != sku}

        # 4. nothing new: the orders in the overlap window are read again, nothing is written
        writes = len(fake.writes())
        quiet = run(ecom_cli, "sync", NAME)
        assert quiet["counts"]["import_orders"]["fetched"] > 0 and quiet["counts"]["import_orders"]["created"] == 0
        assert "push_status" not in quiet["counts"] and quiet["counts"]["push_inventory"]["updated"] == 0
        assert len(fake.writes()) == writes, fake.writes()[writes:]


def settings_file(tmp_path: Path) -> Path:
    """The integration's settings as a TOML file for ``ecom integration apply``: the sample
    settings, Shopify's shipping titles mapped, and the integration made active."""
    settings = sample_settings().model_dump(mode="json", by_alias=True, exclude_none=True)
    settings["shipping"]["methods"] = [{"method": "UPS Ground", "cart_method": "Standard (3-5 days)"},
                                       {"method": "UPS 2nd Day", "cart_method": "Express"},
                                       {"method": "UPS Ground", "cart_method": "Free shipping"}]
    path = tmp_path / "shop.toml"
    path.write_text(tomli_w.dumps({"name": NAME, "cart": "shopify", "active": True, **settings}))
    return path


def available(ecom_db, sku: str) -> int:
    """On hand less committed over every location: what the inventory push sends for ``sku``."""
    with ecom_db.session() as session:
        rows = session.exec(select(m.Stock.on_hand, m.Stock.committed).join(m.Item, m.Item.id == m.Stock.item_id)
                            .where(m.Item.sku == sku)).all()
    return max(0, int(sum((on_hand - committed for on_hand, committed in rows), Decimal(0))))
