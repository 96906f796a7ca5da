"""Reading orders: cursor pages sized by query cost, or a bulk operation for large pulls.

Orders kept aside after a failed import are read again by id (:func:`by_id`): ``id:`` search
terms joined with ``OR`` (the orders query's documented ``id`` filter, shopify.dev "orders" query
and "Shopify API search syntax"), paged as any read, so a page of ids costs one request.

A first sync (no watermark) or a pull of more than ``bulk_threshold`` orders runs a bulk
operation: ``bulkOperationRunQuery``, polling until it completes, then the JSONL file. Since
2026-01 Shopify no longer groups child lines under their parents by default (``groupObjects``
defaults to false and grouping is slower and fails more often), so no order is complete before the
last line has arrived: the file is indexed by order as it downloads (:class:`BulkFile`, an
:class:`ecom.jsonl.JsonLinesIndex`: memory stays the same for 1,000 orders or 1,000,000), then
each order is read back with its children, oldest change first.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import IO, Any

from ecom import CartOrder, Page, RetryableError, drivers, translate_page
from ecom.graphql import user_errors
from ecom.jsonl import JsonLinesIndex
from ecom_shopify import queries, translate
from ecom_shopify.api import Shopify

BULK_DONE = {"COMPLETED", "FAILED", "CANCELED", "EXPIRED"}
CHILD_KEYS = {"LineItem": "lineItems", "ShippingLine": "shippingLines"}


def search(since: datetime | None) -> str | None:
    if since is None:
        return None
    return f"updated_at:>='{since.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}'"


def fetch(shop: Shopify, since: datetime | None) -> Iterator[Page[CartOrder]]:
    """Pages of orders updated at or after ``since``, oldest change first."""
    query, threshold = search(since), int(shop.option("bulk_threshold", 2500))
    if since is None or _count(shop, query, threshold) > threshold:
        yield from _bulk(shop, query)
    else:
        yield from _paged(shop, query)


#: ids per search string: Shopify's search strings stay short; each is paged by cost anyway
IDS_PER_QUERY = 50


def by_id(shop: Shopify, ids: list[str]) -> Iterator[Page[CartOrder]]:
    """Pages of the orders with these ids (gids or numbers); ids Shopify does not have are left out."""
    numbers = [i.rsplit("/", 1)[-1] for i in ids if i.rsplit("/", 1)[-1].isdigit()]
    for start in range(0, len(numbers), IDS_PER_QUERY):
        yield from _paged(shop, " OR ".join(f"id:{n}" for n in numbers[start : start + IDS_PER_QUERY]))


def _count(shop: Shopify, query: str | None, threshold: int) -> int:
    data = shop.query(queries.ORDERS_COUNT, {"query": query, "limit": threshold + 1})
    return int(data["ordersCount"]["count"])


def _page(raws: list[dict[str, Any]]) -> Page[CartOrder]:
    return translate_page(raws, translate.order, ref=lambda raw: raw.get("name") or raw.get("id", "?"))


def _paged(shop: Shopify, query: str | None) -> Iterator[Page[CartOrder]]:
    variables = {"query": query, "lines": int(shop.option("line_page_size", 10))}
    for page in shop.pages(queries.ORDERS, "orders", variables, first=int(shop.option("page_size", 5))):
        for raw in page["nodes"]:  # every line item: the ones past the first page read by the order's id
            lines = shop.nested_nodes(raw["lineItems"], queries.ORDER_LINES, {"id": raw["id"]}, "order", "lineItems")
            raw["lineItems"] = {"nodes": lines}
        yield _page(page["nodes"])


def _bulk(shop: Shopify, query: str | None) -> Iterator[Page[CartOrder]]:
    # safe to retry: a duplicate bulk query only reads (and 2026-01 runs several at once)
    run = shop.query(queries.BULK_RUN, {"query": queries.bulk_orders_query(query)})
    payload = run["bulkOperationRunQuery"]
    if payload["userErrors"]:
        raise RetryableError(f"Shopify refused the bulk query: {user_errors(payload['userErrors'])}")
    operation = _wait(shop, payload["bulkOperation"]["id"])
    if not operation.get("url"):
        return  # no order matched: Shopify gives no file
    size = int(shop.option("bulk_page_size", 100))
    with BulkFile.download(shop.connection, operation["url"], what="Shopify's bulk result") as bulk_file:
        for batch in drivers.batches(bulk_file.orders(), size):
            yield _page(batch)


def _wait(shop: Shopify, operation_id: str) -> dict[str, Any]:
    return drivers.poll(
        lambda: shop.query(queries.BULK_STATUS, {"id": operation_id})["bulkOperation"],
        done=lambda op: op["status"] == "COMPLETED",
        failed=lambda op: f"ended {op['status']} ({op.get('errorCode')})" if op["status"] in BULK_DONE else None,
        what=f"Shopify's bulk operation {operation_id}", timeout=float(shop.option("bulk_timeout", 3600)),
    )


class BulkFile(JsonLinesIndex):
    """Shopify's bulk result file (:class:`ecom.jsonl.JsonLinesIndex`): a line per order, and a
    line per line item or shipping line naming its order (``__parentId``); orders come back oldest
    change first."""

    def __init__(self, spool: IO[bytes]) -> None:
        super().__init__(spool, parent_of=lambda row: row.get("__parentId"), sort_of=lambda row: row.get("updatedAt") or "")

    def orders(self) -> Iterator[dict[str, Any]]:
        """Each order with its line items and shipping lines in the order the file has them."""
        for order, children in self.parents():
            order.update({key: {"nodes": []} for key in CHILD_KEYS.values()})
            for child in children:
                child.pop("__parentId", None)
                order[CHILD_KEYS[child.get("__typename", "LineItem")]]["nodes"].append(child)
            yield order
