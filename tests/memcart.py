"""An in-memory cart driver for the inventory and products tests: it keeps products and stock,
records every call, and refuses what a test tells it to."""

from __future__ import annotations

from typing import Any

from ecom import hookspecs
from ecom.records import CartInfo, CartProduct, ConnectionFields, Page, PushResult, WebOrderStatus

KIND = "memcart"


class MemCart:
    """A cart whose catalogue and stock live in dicts.

    :ivar products: cart id -> product; ids are "p1", "p2", ... in creation order.
    :ivar stock: (SKU, location or None) -> quantity the cart holds.
    :ivar refuse: SKUs whose quantity or product the cart refuses.
    """

    def __init__(self, page_size: int = 2) -> None:
        self.products: dict[str, CartProduct] = {}
        self.stock: dict[tuple[str, str | None], int] = {}
        self.refuse: set[str] = set()
        self.calls: list[tuple[str, Any]] = []
        self.page_size = page_size

    def add_product(self, sku: str | None, name: str, **fields: Any) -> str:
        cart_id = f"p{len(self.products) + 1}"
        self.products[cart_id] = CartProduct(sku=sku, name=name, external_id=cart_id, **fields)
        return cart_id

    def pushes(self) -> list[list[tuple[str, int, str | None]]]:
        """Each push_inventory call's (SKU, quantity, location) list."""
        return [args for name, args in self.calls if name == "push_inventory"]

    @hookspecs.hookimpl
    def describe_cart(self) -> CartInfo:
        return CartInfo(
            kind=KIND,
            title="Mem Cart",
            fields=ConnectionFields(website_name="name", api_url="url", username="-", password="-"),
            statuses={"open": WebOrderStatus.PROCESSING},
        )

    @hookspecs.hookimpl
    def fetch_products(self, connection, since):  # type: ignore[no-untyped-def]
        self.calls.append(("fetch_products", since))
        products = list(self.products.values())
        for start in range(0, len(products), self.page_size):
            yield Page(records=products[start : start + self.page_size])

    @hookspecs.hookimpl
    def push_inventory(self, connection, levels):  # type: ignore[no-untyped-def]
        self.calls.append(("push_inventory", [(lv.sku, lv.quantity, lv.location) for lv in levels]))
        results = []
        known = {p.sku for p in self.products.values()}
        for level in levels:
            if level.sku in self.refuse:
                results.append(PushResult.failed(level.sku, "Inventory tracking is off for this product."))
            elif level.sku not in known:
                results.append(PushResult.failed(level.sku, "No product has this SKU."))
            else:
                self.stock[(level.sku, level.location)] = level.quantity
                results.append(PushResult(ref=level.sku, ok=True))
        return results

    @hookspecs.hookimpl
    def upsert_products(self, connection, products):  # type: ignore[no-untyped-def]
        self.calls.append(("upsert_products", [(p.sku, p.external_id) for p in products]))
        results = []
        for product in products:
            if product.sku in self.refuse:
                results.append(PushResult.failed(product.sku or "", "Title is too long."))
                continue
            cart_id = product.external_id if product.external_id in self.products else None
            if cart_id is None:
                cart_id = next((i for i, p in self.products.items() if p.sku and p.sku == product.sku), None)
            if cart_id is None:
                cart_id = self.add_product(product.sku, product.name)
                action = "created"
            else:
                action = "updated"
            self.products[cart_id] = product.model_copy(update={"external_id": cart_id})
            results.append(PushResult(ref=product.sku or "", ok=True, action=action, external_id=cart_id))
        return results
