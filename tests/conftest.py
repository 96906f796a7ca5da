"""Shared helpers for the core's tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from ecom import hookspecs
from ecom.records import (
    CartInfo,
    CartOrder,
    CartProduct,
    ConnectionFields,
    ConnectionReport,
    Page,
    PushResult,
    WebOrderStatus,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def info(kind: str) -> CartInfo:
    return CartInfo(
        kind=kind,
        title=kind.title(),
        fields=ConnectionFields(website_name="name", api_url="url", username="user", password="token"),
        statuses={"open": WebOrderStatus.PROCESSING, "gone": "archived"},
    )


def order(number: str) -> CartOrder:
    return CartOrder(
        external_id=number, number=number, created_at=NOW, updated_at=NOW, currency="USD",
        status=WebOrderStatus.PROCESSING, total=Decimal("1.00"),
    )


class RecordingDriver:
    """A driver that answers every hook with a record naming itself, and logs its calls."""

    def __init__(self, kind: str):
        self.kind, self.calls = kind, []

    @hookspecs.hookimpl
    def describe_cart(self):
        return info(self.kind)

    @hookspecs.hookimpl
    def test_connection(self, connection, operations):
        self.calls.append(("test_connection", connection.api_url, sorted(operations)))
        return ConnectionReport(message=f"{self.kind} ok")

    @hookspecs.hookimpl
    def fetch_orders(self, connection, since):
        self.calls.append(("fetch_orders", since))
        yield Page(records=[order(f"{self.kind}-1")])
        yield Page(records=[order(f"{self.kind}-2")])

    @hookspecs.hookimpl
    def fetch_orders_by_id(self, connection, ids):
        self.calls.append(("fetch_orders_by_id", list(ids)))
        yield Page(records=[order(f"{self.kind}-{i}") for i in ids])

    @hookspecs.hookimpl
    def fetch_products(self, connection, since):
        self.calls.append(("fetch_products", since))
        yield Page(records=[CartProduct(sku=f"{self.kind}-SKU", name="Thing")])

    @hookspecs.hookimpl
    def push_status(self, connection, updates):
        self.calls.append(("push_status", [u.order_id for u in updates]))
        return [PushResult(ref=u.order_id, ok=True) for u in updates]

    @hookspecs.hookimpl
    def push_inventory(self, connection, levels):
        self.calls.append(("push_inventory", [(lv.sku, lv.quantity) for lv in levels]))
        return [PushResult(ref=lv.sku, ok=True) for lv in levels]

    @hookspecs.hookimpl
    def upsert_products(self, connection, products):
        self.calls.append(("upsert_products", [p.sku for p in products]))
        return [PushResult(ref=p.sku, ok=True, action="created", external_id="1") for p in products]

    @hookspecs.hookimpl
    def fake_cart(self):
        return f"fake of {self.kind}"


