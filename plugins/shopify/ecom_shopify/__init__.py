"""The Shopify cart driver for ecom: the GraphQL Admin API, version 2026-07.

This module is the plugin ecom loads (entry point ``shopify`` in the group ``ecom``): one hook
implementation per operation, each opening a :class:`~ecom_shopify.api.Shopify` conversation and
handing the work to the module that holds it (orders, status, inventory, products).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ecom import (
    CartInfo,
    CartOrder,
    CartProduct,
    Connection,
    ConnectionFields,
    ConnectionReport,
    Page,
    PushResult,
    StatusUpdate,
    StockLevel,
    drivers,
    hookimpl,
)
from ecom_shopify import inventory, orders, queries, status
from ecom_shopify import products as product_ops
from ecom_shopify.api import API_VERSION, Shopify
from ecom_shopify.translate import STATUS_TABLE

__all__ = ["API_VERSION"]

#: Access scopes each operation needs (a ``write_`` scope includes its ``read_``).
SCOPES = {
    "fetch_orders": ("read_orders", "read_all_orders"),  # without it Shopify shows 60 days of orders
    "fetch_products": ("read_products",),
    "push_status": ("write_orders", "write_merchant_managed_fulfillment_orders"),
    "push_inventory": ("write_inventory", "read_products", "read_locations"),
    "upsert_products": ("write_products",),
}


@hookimpl
def describe_cart() -> CartInfo:
    return CartInfo(
        kind="shopify",
        title="Shopify",
        fields=ConnectionFields(
            website_name="The shop's name: the part before .myshopify.com (e.g. acme for acme.myshopify.com)",
            api_url="The shop's admin address, https://{shop}.myshopify.com (blank: built from the name)",
            username="Not used",
            password="The Admin API access token of the shop's custom app (shpat_...)",
        ),
        statuses=STATUS_TABLE,  # type: ignore[arg-type]
        docs_url="https://shopify.dev/docs/api/admin-graphql/" + API_VERSION,
        required=["password"],  # the API URL may be left blank: built from the shop's name
        api_paths=[r"/admin(/api(/\d{4}-\d{2}|/unstable)?(/[a-z_]+\.json)?)?"],  # GraphQL, and REST paths pasted
    )


def missing_scopes(granted: set[str], operations: frozenset[str]) -> list[str]:
    """One warning per scope an enabled operation needs and the token lacks."""
    have = granted | {"read_" + s.removeprefix("write_") for s in granted if s.startswith("write_")}
    return drivers.missing_permissions(have, SCOPES, operations, holder="The access token")


@hookimpl
def test_connection(connection: Connection, operations: frozenset[str]) -> ConnectionReport:
    with Shopify(connection, max_attempts=2) as shop:
        data = shop.query(queries.SHOP)
    info = data["shop"]
    scopes = {s["handle"] for s in data["currentAppInstallation"]["accessScopes"]}
    return ConnectionReport(
        message=f"Connected to {info['name']} ({info['myshopifyDomain']}), Admin API {API_VERSION}",
        details={"shop": info["name"], "domain": info["myshopifyDomain"], "currency": info["currencyCode"],
                 "plan": info["plan"]["publicDisplayName"], "scopes": ", ".join(sorted(scopes))},
        warnings=missing_scopes(scopes, frozenset(operations)),
    )


@hookimpl
def fetch_orders(connection: Connection, since: datetime | None) -> Iterator[Page[CartOrder]]:
    with Shopify(connection) as shop:
        yield from orders.fetch(shop, since)


@hookimpl
def fetch_orders_by_id(connection: Connection, ids: list[str]) -> Iterator[Page[CartOrder]]:
    with Shopify(connection) as shop:
        yield from orders.by_id(shop, ids)


@hookimpl
def fetch_products(connection: Connection, since: datetime | None) -> Iterator[Page[CartProduct]]:
    with Shopify(connection) as shop:
        yield from product_ops.fetch(shop, since)


@hookimpl
def push_status(connection: Connection, updates: list[StatusUpdate]) -> list[PushResult]:
    with Shopify(connection) as shop:
        return status.push(shop, updates)


@hookimpl
def push_inventory(connection: Connection, levels: list[StockLevel]) -> list[PushResult]:
    with Shopify(connection) as shop:
        return inventory.push(shop, levels)


@hookimpl
def upsert_products(connection: Connection, products: list[CartProduct]) -> list[PushResult]:
    with Shopify(connection) as shop:
        return product_ops.upsert(shop, products)


@hookimpl
def fake_cart():  # type: ignore[no-untyped-def]
    from ecom_shopify.fake import ShopifyFake

    return ShopifyFake()
