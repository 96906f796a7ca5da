"""Products both ways: read every variant for Import Products, create or update by SKU for Export.

A new SKU becomes a product with one variant through ``productSet``; an existing one (found by
its variant id, else by SKU through the cached resolver in :mod:`ecom_shopify.inventory`) gets its
product fields (``productUpdate``) and its variant's price, SKU and weight
(``productVariantsBulkUpdate``) in one request, leaving the product's other variants alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ecom import CartProduct, Page, PushResult, drivers, translate_page
from ecom.graphql import check_user_errors
from ecom_shopify import queries, translate
from ecom_shopify.api import Shopify
from ecom_shopify.inventory import resolve_skus
from ecom_shopify.orders import search


#: products per page: PRODUCTS costs 2 + 103 points a product (its 25 variants, each with its
#: inventory item and measurement), so 9 products (929 points) fit Shopify's 1,000-point limit
#: the first time; 10 (1,032) were refused and halved on every sync
PRODUCT_PAGE_SIZE = 9


def fetch(shop: Shopify, since: datetime | None) -> Iterator[Page[CartProduct]]:
    first = int(shop.option("product_page_size", PRODUCT_PAGE_SIZE))
    for page in shop.pages(queries.PRODUCTS, "products", {"query": search(since)}, first=first):
        rows = [{"product": p, "variant": v} for p in page["nodes"]  # every variant, past the first page too
                for v in shop.nested_nodes(p["variants"], queries.PRODUCT_VARIANTS, {"id": p["id"]}, "product", "variants")]
        yield translate_page(
            rows,
            lambda row: translate.product(row["product"], row["variant"]),
            ref=lambda row: row["variant"].get("sku") or row["variant"]["id"],
        )


def upsert(shop: Shopify, products: list[CartProduct]) -> list[PushResult]:
    refs = shop.connection.refs
    resolve_skus(shop, [p.sku for p in products if p.sku and not (p.external_id and p.parent_id)])

    def send(record: CartProduct) -> PushResult:
        variant = record.external_id or (record.sku and refs.get("variant", record.sku))
        product = record.parent_id or (record.sku and refs.get("product", record.sku))
        if variant and product:
            return _update(shop, record, record.sku or record.name, product, variant)
        return _create(shop, record, record.sku or record.name)

    return drivers.each_record(products, send, ref=lambda p: p.sku or p.name)


def _update(shop: Shopify, record: CartProduct, ref: str, product: str, variant: str) -> PushResult:
    variables = {
        "product": {"id": product, **translate.product_fields(record)},
        "productId": product,
        "variants": [{"id": variant, **translate.variant_input(record)}],
    }
    data = shop.query(queries.PRODUCT_UPDATE, variables)
    check_user_errors(data["productUpdate"], data["productVariantsBulkUpdate"])
    return PushResult(ref=ref, ok=True, action="updated", external_id=variant)


def _create(shop: Shopify, record: CartProduct, ref: str) -> PushResult:
    payload = shop.query(queries.PRODUCT_SET, {"input": translate.product_set_input(record)}, idempotent=False)["productSet"]
    check_user_errors(payload)
    created = payload["product"]
    variant = created["variants"]["nodes"][0]
    if record.sku:
        shop.connection.refs.set("variant", record.sku, variant["id"])
        shop.connection.refs.set("product", record.sku, created["id"])
        shop.connection.refs.set("inventory_item", record.sku, variant["inventoryItem"]["id"])
    return PushResult(ref=ref, ok=True, action="created", external_id=variant["id"])
