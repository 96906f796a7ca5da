"""Reading orders: cursor pages sized by query cost, or a bulk operation for large pulls.

Orders kept aside after a failed import are read again by id (:func:`by_id`): ``id:`` search
terms joined with ``OR`` (the orders query's documented ``id`` filter, shopify.dev "orders" query
and "Shopify API search syntax"), paged as any read, so a page of ids costs one request.

A first sync (no watermark) or a pull of more than ``bulk_threshold`` orders runs a bulk
operation: ``bulkOperationRunQuery``, polling until it completes, then the JSONL file. Since
2026-01 Shopify no longer groups child lines under their parents by default (``groupObjects``
defaults to false and grouping is slower and fails more often), so no order is complete before the
last line has arrived: the file is streamed to disk and each line parsed as it arrives, noting
where each order and each child starts (:class:`BulkFile`, an index in a temporary SQLite file, so
memory stays the same for 1,000 orders or 1,000,000); then each order is read back with its
children, oldest change first. Nothing of the file is held in memory.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import IO, Any

from ecom import CartOrder, Page, RetryableError, drivers, translate_page
from ecom import http as ecom_http
from ecom.graphql import all_nodes
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
        yield _page([_complete_lines(shop, raw) for raw in page["nodes"]])


def _complete_lines(shop: Shopify, raw: dict[str, Any]) -> dict[str, Any]:
    """The order with every line item, reading the ones past the first page."""
    more = lambda after: shop.query(queries.ORDER_LINES, {"id": raw["id"], "after": after})["order"]["lineItems"]  # noqa: E731
    nodes = all_nodes(raw["lineItems"], more)
    return {**raw, "lineItems": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": nodes}}


def _bulk(shop: Shopify, query: str | None) -> Iterator[Page[CartOrder]]:
    # safe to retry: a duplicate bulk query only reads (and 2026-01 runs several at once)
    run = shop.query(queries.BULK_RUN, {"query": queries.bulk_orders_query(query)})
    payload = run["bulkOperationRunQuery"]
    if payload["userErrors"]:
        raise RetryableError(f"Shopify refused the bulk query: {translate.user_errors(payload['userErrors'])}")
    operation = _wait(shop, payload["bulkOperation"]["id"])
    if not operation.get("url"):
        return  # no order matched: Shopify gives no file
    size = int(shop.option("bulk_page_size", 100))
    with tempfile.TemporaryFile() as spool, BulkFile(spool) as bulk_file:
        # a signed URL: no access token is sent with it
        ecom_http.download(shop.connection, operation["url"], bulk_file, what="Shopify's bulk result",
                           check=lambda _: bulk_file.finish())
        batch: list[dict[str, Any]] = []
        for raw in bulk_file.orders():
            batch.append(raw)
            if len(batch) == size:
                yield _page(batch)
                batch = []
        if batch:
            yield _page(batch)


def _wait(shop: Shopify, operation_id: str) -> dict[str, Any]:
    return drivers.poll(
        lambda: shop.query(queries.BULK_STATUS, {"id": operation_id})["bulkOperation"],
        done=lambda op: op["status"] == "COMPLETED",
        failed=lambda op: f"ended {op['status']} ({op.get('errorCode')})" if op["status"] in BULK_DONE else None,
        what=f"Shopify's bulk operation {operation_id}", timeout=float(shop.option("bulk_timeout", 3600)),
    )


class BulkFile:
    """A bulk result file as :func:`ecom.http.download` writes it: spooled to ``spool`` and
    indexed line by line as the bytes arrive.

    Each line is parsed once on its way to disk: an order's line is noted with its ``updatedAt``,
    ``id`` and where it starts, a child's (``__parentId``) with its parent and where it starts, in
    a temporary SQLite file of its own, so memory does not grow with the file. A line that is not a
    JSON object (a file cut off, an error page) is the file's fault (:meth:`finish`), and the
    download is tried again from the start (:meth:`truncate` forgets the index).
    """

    FLUSH = 2000  # index rows written to SQLite at a time

    def __init__(self, spool: IO[bytes]) -> None:
        self.spool = spool
        # "": a temporary file SQLite removes itself; one reader at a time, whichever thread it is
        self._db = sqlite3.connect("", check_same_thread=False)
        self._db.execute("CREATE TABLE parent (updated_at TEXT, id TEXT, at INTEGER)")
        self._db.execute("CREATE TABLE child (parent TEXT, at INTEGER)")
        self._forget()

    def __enter__(self) -> BulkFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()

    def _forget(self) -> None:
        self._db.execute("DELETE FROM parent")
        self._db.execute("DELETE FROM child")
        self._parents: list[tuple[str, str, int]] = []
        self._children: list[tuple[str, int]] = []
        self._pending, self._at, self._number = b"", 0, 0
        self.fault: str | None = None

    # -- the file, as the download writes it

    def tell(self) -> int:
        return self.spool.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.spool.seek(offset, whence)

    def truncate(self, size: int | None = None) -> int:
        if (size if size is not None else self.spool.tell()) == 0:
            self._forget()  # a new attempt: the download starts again from the first byte
        return self.spool.truncate(size)

    def write(self, chunk: bytes) -> int:
        written = self.spool.write(chunk)
        data, start = self._pending + chunk, 0
        while (end := data.find(b"\n", start)) >= 0:
            self._line(data[start : end + 1], self._at + start)
            start = end + 1
        self._at += start
        self._pending = data[start:]
        return written

    def finish(self) -> str | None:
        """The last line (if the file does not end with a newline) indexed; what is wrong with
        the file, or None."""
        if self._pending:
            self._line(self._pending, self._at)
            self._at, self._pending = self._at + len(self._pending), b""
        self._flush()
        return self.fault

    # -- the index

    def _line(self, text: bytes, at: int) -> None:
        self._number += 1
        if self.fault is not None or not text.strip():
            return
        try:
            row = json.loads(text)
        except ValueError as exc:
            self.fault = f"line {self._number} is not JSON, the file may be cut off ({exc})"
            return
        if not isinstance(row, dict):
            self.fault = f"line {self._number} is not a JSON object"
            return
        if row.get("__parentId"):
            self._children.append((row["__parentId"], at))
        else:
            self._parents.append((row.get("updatedAt") or "", row.get("id") or "", at))
        if len(self._parents) + len(self._children) >= self.FLUSH:
            self._flush()

    def _flush(self) -> None:
        self._db.executemany("INSERT INTO parent VALUES (?, ?, ?)", self._parents)
        self._db.executemany("INSERT INTO child VALUES (?, ?)", self._children)
        self._parents, self._children = [], []

    def orders(self) -> Iterator[dict[str, Any]]:
        """Each order, oldest change first, with its line items and shipping lines in the order
        the file has them."""
        self._db.execute("CREATE INDEX IF NOT EXISTS child_parent ON child (parent)")
        children = self._db.cursor()
        for order_id, at in self._db.execute("SELECT id, at FROM parent ORDER BY updated_at, id, at"):
            order = self._read(at)
            order.update({key: {"nodes": []} for key in CHILD_KEYS.values()})
            for (child_at,) in children.execute("SELECT at FROM child WHERE parent = ? ORDER BY rowid", (order_id,)):
                child = self._read(child_at)
                child.pop("__parentId", None)
                order[CHILD_KEYS[child.get("__typename", "LineItem")]]["nodes"].append(child)
            yield order

    def _read(self, at: int) -> dict[str, Any]:
        self.spool.seek(at)
        return json.loads(self.spool.readline())
