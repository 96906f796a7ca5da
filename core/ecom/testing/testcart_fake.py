"""The fake of "Test Cart", an invented JSON REST cart, and the documentation of its API.

Test Cart does not exist; this module is its whole specification, written the way a real cart's
API reference reads, and the fake serves it faithfully. The core's test driver
(:mod:`ecom.testing.testcart`) talks to it, and it is the example a driver author follows when
writing a fake of a real cart.

Test Cart API, version 1
========================

Base URL ``{store URL}/api/v1``. Every request sends ``Authorization: Bearer <API token>``.
Bodies are JSON. Money is a decimal string in the store currency (USD); times are ISO 8601 with
a UTC offset (the store's, ``-05:00``); ids are integers.

**Errors** all have one shape, ``{"error": {"code": "<slug>", "message": "<words>"}}``:

====  ===================================================================================
400   ``invalid_parameter``, ``invalid_cursor``, ``invalid_json``, ``batch_too_large``
401   ``unauthorized``: the token is missing, unknown or revoked
403   ``forbidden``: the token lacks the route's scope (below)
404   ``not_found``: no such route, order or product
422   ``invalid_status``, ``invalid_transition``, ``archived``, ``invalid_field``
429   ``rate_limited``, with ``Retry-After`` (seconds)
5xx   ``server_error``
====  ===================================================================================

Every answer carries a ``Date`` header: the store's clock (RFC 9110 §6.6.1).

**Rate limit**: every answer carries ``X-RateLimit-Limit`` (requests per window, default 600 per
60 s), ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (seconds until the window resets).
A request over the limit gets 429 with ``Retry-After``.

**Routes** (scope needed):

``GET /store`` (any token)
    ``{"store": {"id", "name", "currency", "timezone", "api_version", "token_scopes": [...]}}``
``GET /orders?updated_since=&limit=&cursor=`` (``orders:read``)
    Orders updated at or after ``updated_since``, oldest change first (by ``updated_at``, then
    ``id``): ``{"orders": [...], "next_cursor": "..." | null}``. ``limit`` is 1 to 100 (default
    50); anything else is a 400. Pass ``next_cursor`` back as ``cursor`` with the same filters for
    the next page; ``null`` marks the last page. Archived orders are listed too.
``GET /orders?ids=1001,1002,...&limit=`` (``orders:read``)
    The orders with these ids (at most ``limit``, default 50, of them), by id; ids the store does
    not have are left out: ``{"orders": [...], "next_cursor": null}``. More ids than ``limit``,
    or an id that is not a number, is a 400 ``invalid_parameter``.
``GET /orders/{id}`` (``orders:read``)
    ``{"order": {...}}``.
``PATCH /orders/{id}`` (``orders:write``)
    ``{"status": "...", "archived": true|false}`` (either or both) returns ``{"order": {...}}``.
    Status changes follow the transitions below (422 ``invalid_transition`` otherwise); an
    archived order changes only by being unarchived (422 ``archived``).
``POST /orders/{id}/fulfillments`` (``orders:write``)
    ``{"tracking_number", "carrier", "tracking_url", "shipped_at"}`` (all optional) records a
    shipment: 201 ``{"fulfillment": {...}}``; the order becomes ``shipped``. Refused (422) for
    cancelled, refunded or archived orders.
``GET /products?updated_since=&limit=&cursor=`` (``products:read``)
    As for orders: ``{"products": [...], "next_cursor"}``.
``POST /products/batch`` (``products:write``)
    ``{"products": [...]}``, at most 50. Each item updates the product with its ``id``, else the
    one with its ``sku`` (SKUs are unique), else creates one (``sku`` and ``name`` required).
    Fields: ``id, sku, name, description, price, currency`` (must be the store's),
    ``weight, weight_unit`` (kg, g, lb, oz), ``active, taxable, track_stock, stock``. Returns
    200 ``{"results": [{"index", "status": "created"|"updated"|"error", "id", "error"}]}``, one
    per item, in order: a bad item fails alone.
``POST /inventory/batch`` (``inventory:write``)
    ``{"items": [{"sku", "quantity"}]}``, at most 100; sets the stock of each SKU. Returns
    ``{"results": [{"index", "sku", "id", "status": "updated"|"error", "quantity", "error"}]}``.
    Unknown SKUs (``unknown_sku``), untracked stock (``stock_not_tracked``) and quantities that
    are not whole numbers ≥ 0 (``invalid_quantity``) fail alone.

**Order statuses**: ``pending`` (awaiting payment), ``on_hold`` (held for review),
``authorized`` (payment authorised, not captured), ``paid``, ``shipped``, ``completed``,
``cancelled``, ``refunded``. Archiving is apart from the status: ``archived_at`` is set on an
archived order, which keeps its last status. Transitions: see :data:`TRANSITIONS`.

**An order**::

    {"id": 1001, "number": "TC-1001", "status": "paid", "payment_status": "paid",
     "fulfillment_status": "unfulfilled", "channel": "web", "currency": "USD",
     "created_at": "2025-03-01T04:12:00-05:00", "updated_at": "2025-03-01T05:40:00-05:00",
     "archived_at": null, "prices_include_tax": false,
     "customer": {"id": 501, "email", "first_name", "last_name", "company", "phone",
                  "tax_exempt": false},                    # "id": null for a guest checkout
     "billing_address": {"first_name", "last_name", "company", "street1", "street2", "city",
                         "region", "postcode", "country", "phone", "email"},
     "shipping_address": {... the same keys},
     "items": [{"id", "product_id", "sku", "name", "quantity", "unit_price", "discount",
                "taxable", "taxes": [{"name", "rate", "amount"}]}],
     "shipping": [{"id", "method", "code", "carrier", "price", "taxes": [...]}],
     "fees": [{"id", "name", "amount", "taxable"}],
     "discounts": [{"code", "type": "percentage"|"fixed_amount", "amount"}],
     "payments": [{"method", "amount", "reference"}],
     "taxes": [{"name", "rate", "amount"}],              # the order's taxes summed by name
     "tax_total": "4.99", "total": "67.14", "note": null, "tags": ["repeat-buyer"],
     "fulfillments": [{"id", "tracking_number", "carrier", "tracking_url", "shipped_at"}]}

``unit_price`` excludes tax; ``discount`` is the line's share of the order's discounts;
``total`` = Σ (quantity × unit_price − discount) + Σ shipping + Σ fees + ``tax_total``.

**A product**: ``{"id", "sku", "name", "description", "price", "currency", "weight",
"weight_unit", "active", "taxable", "track_stock", "stock", "created_at", "updated_at"}``.
"""

from __future__ import annotations

import bisect
import functools

import base64
import binascii
import json
import math
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
from pydantic import SecretStr

from ecom.fake import FakeCart
from ecom.records import CartProduct, Connection
from ecom.testing.testcart_seed import CATALOGUE, seed_orders, seed_products, stamp

CENT = Decimal("0.01")
STATUSES = ("pending", "on_hold", "authorized", "paid", "shipped", "completed", "cancelled", "refunded")
#: Which statuses an order may move to from each status (shipped only through a fulfilment).
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"on_hold", "authorized", "paid", "cancelled"}),
    "on_hold": frozenset({"pending", "authorized", "paid", "cancelled"}),
    "authorized": frozenset({"on_hold", "paid", "cancelled"}),
    "paid": frozenset({"on_hold", "completed", "cancelled", "refunded"}),
    "shipped": frozenset({"completed", "refunded"}),
    "completed": frozenset({"refunded"}),
    "cancelled": frozenset(),
    "refunded": frozenset(),
}
SCOPES = frozenset({"orders:read", "orders:write", "products:read", "products:write", "inventory:write"})
PRODUCT_FIELDS = frozenset(
    {"id", "sku", "name", "description", "price", "currency", "weight", "weight_unit", "active", "taxable",
     "track_stock", "stock"}
)
MAX_PAGE, DEFAULT_PAGE, MAX_PRODUCT_BATCH, MAX_STOCK_BATCH = 100, 50, 50, 100


class ApiError(Exception):
    """An error answer, in Test Cart's shape."""

    def __init__(self, status: int, code: str, message: str, headers: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, list(headers)

    @property
    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


@dataclass
class Request:
    """What a route handler reads from a request."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        try:
            data = json.loads(self.body or b"{}")
        except ValueError:
            raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
        return data


class FakeTestCart(FakeCart):
    """Test Cart's API over in-memory state. See the module docstring for the API.

    :param rate_limit: requests allowed per ``window`` seconds.
    :param clock: monotonic seconds, for the rate-limit window (tests pass a fake clock).
    """

    kind = "testcart"
    #: the API token the fake accepts, and one it refuses (revoked)
    token = "tc_live_9f8e7d6c5b4a3f2e1d0c"
    revoked_token = "tc_live_revoked_00000000000"

    def __init__(self, *, rate_limit: int = 600, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.orders: dict[int, dict[str, Any]] = {}
        self.products: dict[int, dict[str, Any]] = {}
        self._sorted: dict[str, Any] = {}  # listings sorted once (see _page)
        self.scopes: set[str] = set(SCOPES)
        self.rate_limit, self.window, self._clock = rate_limit, window, clock
        self._window_start: float | None = None
        self._used = 0
        self._ids = {"order": 1000, "product": 100, "line": 0, "shipping": 0, "fee": 0, "fulfillment": 0}
        self._routes: list[tuple[str, re.Pattern[str], str | None, Callable[..., tuple[int, dict[str, Any]]]]] = [
            ("GET", re.compile(r"/api/v1/store"), None, self._store),
            ("GET", re.compile(r"/api/v1/orders"), "orders:read", self._list_orders),
            ("GET", re.compile(r"/api/v1/orders/(?P<id>[^/]+)"), "orders:read", self._get_order),
            ("PATCH", re.compile(r"/api/v1/orders/(?P<id>[^/]+)"), "orders:write", self._update_order),
            ("POST", re.compile(r"/api/v1/orders/(?P<id>[^/]+)/fulfillments"), "orders:write", self._fulfil),
            ("GET", re.compile(r"/api/v1/products"), "products:read", self._list_products),
            ("POST", re.compile(r"/api/v1/products/batch"), "products:write", self._batch_products),
            ("POST", re.compile(r"/api/v1/inventory/batch"), "inventory:write", self._batch_inventory),
        ]

    # -- serving ------------------------------------------------------------------------------

    def app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = Request(
            method=environ["REQUEST_METHOD"],
            path=environ.get("PATH_INFO", ""),
            query={k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()},
            body=environ["wsgi.input"].read(length) if length else b"",
        )
        limits, wait = self._count_request()
        extra: list[tuple[str, str]] = []
        try:
            if wait is not None:
                words = f"Too many requests; retry after {wait} seconds."
                raise ApiError(429, "rate_limited", words, [("Retry-After", str(wait))])
            handler, scope, params = self._route(request)
            self._authorize(environ.get("HTTP_AUTHORIZATION", ""), scope)
            status, payload = handler(request, **params)
        except ApiError as error:
            status, payload, extra = error.status, error.body, error.headers
        headers = [("Content-Type", "application/json"), ("Date", format_datetime(_now(), usegmt=True)), *limits, *extra]
        start_response(f"{status} {httpx.codes.get_reason_phrase(status)}", headers)
        return [json.dumps(payload).encode()]

    def failure_response(self, status: int, retry_after: float | None) -> tuple[list[tuple[str, str]], bytes]:
        headers = [("Content-Type", "application/json")]
        if retry_after is not None:
            headers.append(("Retry-After", f"{retry_after:g}"))
        if status == 429:
            error = ApiError(429, "rate_limited", f"Too many requests; retry after {retry_after or 1:g} seconds.")
        else:
            error = ApiError(status, "server_error", "The store is having trouble; try again shortly.")
        return headers, json.dumps(error.body).encode()

    def _count_request(self) -> tuple[list[tuple[str, str]], int | None]:
        """Count a request in the rate-limit window: the headers to send, and the seconds to wait
        when the request is over the limit (None when it is within)."""
        now = self._clock()
        if self._window_start is None or now - self._window_start >= self.window:
            self._window_start, self._used = now, 0
        self._used += 1
        reset = max(0, math.ceil(self._window_start + self.window - now))
        limits = [
            ("X-RateLimit-Limit", str(self.rate_limit)),
            ("X-RateLimit-Remaining", str(max(0, self.rate_limit - self._used))),
            ("X-RateLimit-Reset", str(reset)),
        ]
        return limits, (reset if self._used > self.rate_limit else None)

    def _route(self, request: Request) -> tuple[Callable[..., tuple[int, dict[str, Any]]], str | None, dict[str, str]]:
        for method, pattern, scope, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                return handler, scope, match.groupdict()
        raise ApiError(404, "not_found", f"No route {request.method} {request.path}.")

    def _authorize(self, header: str, scope: str | None) -> None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "unauthorized", "Missing API token: send 'Authorization: Bearer <token>'.")
        if token != self.token:
            raise ApiError(401, "unauthorized", "Invalid API token. Create a new one in Settings > API.")
        if scope is not None and scope not in self.scopes:
            raise ApiError(403, "forbidden", f"This API token lacks the '{scope}' scope.")

    # -- routes -------------------------------------------------------------------------------

    def _store(self, request: Request) -> tuple[int, dict[str, Any]]:
        store = {
            "id": "tc-demo", "name": "Test Cart Demo Store", "currency": "USD",
            "timezone": "America/New_York", "api_version": "1", "token_scopes": sorted(self.scopes),
        }
        return 200, {"store": store}

    def _list_orders(self, request: Request) -> tuple[int, dict[str, Any]]:
        if "ids" in request.query:
            return 200, _by_ids(request, self.orders)
        return 200, _page(request, list(self.orders.values()), "orders", self._sorted)

    def _list_products(self, request: Request) -> tuple[int, dict[str, Any]]:
        return 200, _page(request, list(self.products.values()), "products", self._sorted)

    def _order(self, order_id: str) -> dict[str, Any]:
        order = self.orders.get(int(order_id)) if order_id.isdigit() else None
        if order is None:
            raise ApiError(404, "not_found", f"No order has id {order_id}.")
        return order

    def _get_order(self, request: Request, id: str) -> tuple[int, dict[str, Any]]:  # noqa: A002
        return 200, {"order": self._order(id)}

    def _update_order(self, request: Request, id: str) -> tuple[int, dict[str, Any]]:  # noqa: A002
        order, body = self._order(id), request.json()
        if "archived" in body:
            if not isinstance(body["archived"], bool):
                raise ApiError(422, "invalid_field", "archived must be true or false.")
            order["archived_at"] = stamp(_now()) if body["archived"] else None
        if order["archived_at"] is not None and "status" in body:
            raise ApiError(422, "archived", f"Order {order['number']} is archived; unarchive it to change it.")
        if "status" in body and body["status"] != order["status"]:
            status = body["status"]
            if status not in STATUSES:
                raise ApiError(422, "invalid_status", f"status must be one of: {', '.join(STATUSES)}.")
            if status == "shipped":
                raise ApiError(422, "invalid_transition", "Ship an order by creating a fulfillment.")
            if status not in TRANSITIONS[order["status"]]:
                raise ApiError(
                    422, "invalid_transition", f"Order {order['number']} is {order['status']} and cannot become {status}."
                )
            order["status"] = status
            order["payment_status"] = {"cancelled": "voided", "refunded": "refunded", "paid": "paid"}.get(
                status, order["payment_status"]
            )
        order["updated_at"] = stamp(_now())
        return 200, {"order": order}

    def _fulfil(self, request: Request, id: str) -> tuple[int, dict[str, Any]]:  # noqa: A002
        order, body = self._order(id), request.json()
        if order["archived_at"] is not None:
            raise ApiError(422, "archived", f"Order {order['number']} is archived; unarchive it to change it.")
        if order["status"] in ("cancelled", "refunded"):
            words = f"Order {order['number']} is {order['status']} and cannot be fulfilled."
            raise ApiError(422, "invalid_transition", words)
        fields = ("tracking_number", "carrier", "tracking_url", "shipped_at")
        if not all(isinstance(body.get(f), (str, type(None))) for f in fields):
            raise ApiError(422, "invalid_field", f"{', '.join(fields)} must be strings.")
        fulfillment = {"id": self._new_id("fulfillment"), **{f: body.get(f) for f in fields}}
        fulfillment["shipped_at"] = fulfillment["shipped_at"] or stamp(_now())
        order["fulfillments"].append(fulfillment)
        order["fulfillment_status"] = "fulfilled"
        if order["status"] != "completed":
            order["status"] = "shipped"
        order["updated_at"] = stamp(_now())
        return 201, {"fulfillment": fulfillment}

    def _batch_products(self, request: Request) -> tuple[int, dict[str, Any]]:
        items = _batch(request.json(), "products", MAX_PRODUCT_BATCH)
        results = []
        for index, item in enumerate(items):
            try:
                status, product = self._upsert_product(item)
            except ApiError as error:
                results.append({"index": index, "status": "error", "id": None, "error": error.body["error"]})
            else:
                results.append({"index": index, "status": status, "id": product["id"], "error": None})
        return 200, {"results": results}

    def _upsert_product(self, item: Any) -> tuple[str, dict[str, Any]]:
        if not isinstance(item, dict):
            raise ApiError(422, "invalid_field", "Each product must be an object.")
        unknown = sorted(set(item) - PRODUCT_FIELDS)
        if unknown:
            raise ApiError(422, "invalid_field", f"Unknown field(s): {', '.join(unknown)}.")
        product = None
        if item.get("id") is not None:
            product = self.products.get(int(item["id"])) if str(item["id"]).isdigit() else None
            if product is None:
                raise ApiError(404, "not_found", f"No product has id {item['id']}.")
        elif item.get("sku"):
            product = self._by_sku(item["sku"])
        changes = _product_changes(item, creating=product is None)
        if changes.get("sku") is not None:
            owner = self._by_sku(changes["sku"])
            if owner is not None and owner is not product:
                raise ApiError(422, "duplicate_sku", f"SKU {changes['sku']} already belongs to product {owner['id']}.")
        now = stamp(_now())
        if product is None:
            product = {
                "id": self._new_id("product"), "sku": None, "name": "", "description": None, "price": None,
                "currency": "USD", "weight": None, "weight_unit": None, "active": True, "taxable": True,
                "track_stock": True, "stock": 0, "created_at": now, "updated_at": now,
            }
            self.products[product["id"]] = product
            status = "created"
        else:
            status = "updated"
        product.update(changes, updated_at=now)
        return status, product

    def _batch_inventory(self, request: Request) -> tuple[int, dict[str, Any]]:
        items = _batch(request.json(), "items", MAX_STOCK_BATCH)
        results = []
        for index, item in enumerate(items):
            sku = item.get("sku") if isinstance(item, dict) else None
            product = self._by_sku(sku) if isinstance(sku, str) else None
            quantity = item.get("quantity") if isinstance(item, dict) else None
            result: dict[str, Any] = {"index": index, "sku": sku, "id": product and product["id"], "status": "error"}
            if product is None:
                result["error"] = {"code": "unknown_sku", "message": f"No product has SKU {sku!r}."}
            elif not product["track_stock"]:
                result["error"] = {"code": "stock_not_tracked", "message": f"Stock is not tracked for SKU {sku!r}."}
            elif not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
                words = f"quantity must be a whole number >= 0, not {quantity!r}."
                result["error"] = {"code": "invalid_quantity", "message": words}
            else:
                product.update(stock=quantity, updated_at=stamp(_now()))
                result.update(status="updated", quantity=quantity, error=None)
            results.append(result)
        return 200, {"results": results}

    def _by_sku(self, sku: str) -> dict[str, Any] | None:
        return next((p for p in self.products.values() if p["sku"] == sku), None)

    # -- the conformance suite's side -----------------------------------------------------------

    def connection(self, base_url: str, *, valid: bool = True) -> Connection:
        token = self.token if valid else self.revoked_token
        return Connection(website_name="Test Cart demo", api_url=base_url, password=SecretStr(token))

    def seed(self, *, orders: int = 0, products: int = 0, seed: int = 0) -> None:
        """Add ``products`` products from the catalogue (then generated ones), and ``orders``
        realistic orders of the products the cart holds (the whole catalogue when it holds none).
        See :mod:`ecom.testing.testcart_seed`."""
        rng = random.Random(seed)
        with self._lock:
            if orders and not self.products:
                products = max(products, len(CATALOGUE))
            for product in seed_products(rng, products, taken=set(self.skus()), new_id=self._new_id):
                self.products[product["id"]] = product
            catalogue = sorted(self.products.values(), key=lambda p: p["id"])
            for order in seed_orders(rng, orders, catalogue, start=len(self.orders), new_id=self._new_id):
                self.orders[order["id"]] = order

    def _new_id(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def skus(self) -> list[str]:
        return sorted(p["sku"] for p in self.products.values() if p["sku"])

    def stock(self, sku: str, location: str | None = None) -> int | None:
        product = self._by_sku(sku)
        if location is not None or product is None or not product["track_stock"]:
            return None
        return product["stock"]

    def product(self, sku: str) -> CartProduct | None:
        raw = self._by_sku(sku)
        if raw is None:
            return None
        return CartProduct(
            sku=raw["sku"], name=raw["name"], external_id=str(raw["id"]), description=raw["description"],
            price=raw["price"], currency=raw["currency"], weight=raw["weight"], weight_unit=raw["weight_unit"],
            active=raw["active"], quantity=raw["stock"] if raw["track_stock"] else None,
        )

    def tracking(self, order_id: str) -> list[str]:
        order = self.orders.get(int(order_id)) if order_id.isdigit() else None
        return [f["tracking_number"] for f in order["fulfillments"] if f["tracking_number"]] if order else []

    def order(self, order_id: int) -> dict[str, Any]:
        """The cart's own JSON of an order (for tests that look at what the API would return)."""
        return self.orders[order_id]


# -- helpers ------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _key(record: dict[str, Any]) -> tuple[datetime, int]:
    return _moment(record["updated_at"]), record["id"]


@functools.lru_cache(maxsize=200_000)
def _moment(stamp: str) -> datetime:
    """A record's time, parsed once: listing pages sorts every record (benchmarks list 100,000)."""
    return datetime.fromisoformat(stamp)


def _page(request: Request, records: list[dict[str, Any]], key: str, cache: dict[str, Any]) -> dict[str, Any]:
    """One page of a listing, by (updated_at, id), with the ``updated_since``/``limit``/``cursor`` rules.

    The listing is sorted once and kept in ``cache``: a first page (no cursor) checks whether a
    record's time changed since (comparing raw timestamps) and sorts again if so; the pages that
    follow a cursor read the same sorted listing, as a cursor over a snapshot does. A page then
    costs a binary search, not a sort: benchmarks page through 100,000 orders.
    """
    raw_limit = request.query.get("limit", str(DEFAULT_PAGE))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_PAGE:
        raise ApiError(400, "invalid_parameter", f"limit must be between 1 and {MAX_PAGE} (got {raw_limit}).")
    limit = int(raw_limit)
    if key not in cache or not request.query.get("cursor"):
        fingerprint = [(r["id"], r["updated_at"]) for r in records]
        if cache.get(key, (None,))[0] != fingerprint:
            ordered = sorted(records, key=_key)
            cache[key] = (fingerprint, ordered, [_key(r) for r in ordered])
    _, ordered, keys = cache[key]
    start = 0
    if since := request.query.get("updated_since"):
        try:
            moment = datetime.fromisoformat(since)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise ApiError(400, "invalid_parameter", "updated_since must be an ISO 8601 time with a UTC offset.")
        start = bisect.bisect_left(keys, (moment, -1))
    if cursor := request.query.get("cursor"):
        start = max(start, bisect.bisect_right(keys, _decode_cursor(cursor)))
    page = ordered[start : start + limit]
    following = _encode_cursor(_key(page[-1])) if len(ordered) > start + limit else None
    return {key: page, "next_cursor": following}


def _by_ids(request: Request, records: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """The ``ids=`` listing: those of the records the store has, by id, on one page."""
    raw_limit = request.query.get("limit", str(DEFAULT_PAGE))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_PAGE:
        raise ApiError(400, "invalid_parameter", f"limit must be between 1 and {MAX_PAGE} (got {raw_limit}).")
    wanted = [i for i in request.query["ids"].split(",") if i]
    if not all(i.isdigit() for i in wanted):
        raise ApiError(400, "invalid_parameter", "ids must be order ids separated by commas.")
    if len(wanted) > int(raw_limit):
        raise ApiError(400, "invalid_parameter", f"At most limit={raw_limit} ids a request (got {len(wanted)}).")
    found = sorted({int(i) for i in wanted} & set(records))
    return {"orders": [records[i] for i in found], "next_cursor": None}


def _encode_cursor(key: tuple[datetime, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps([key[0].isoformat(), key[1]]).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        stamp, record_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(stamp), int(record_id)
    except (ValueError, TypeError, binascii.Error):
        raise ApiError(400, "invalid_cursor", "The cursor is not valid; start again without it.") from None


def _batch(body: dict[str, Any], key: str, limit: int) -> list[Any]:
    items = body.get(key)
    if not isinstance(items, list):
        raise ApiError(400, "invalid_parameter", f"The body must have a '{key}' list.")
    if len(items) > limit:
        raise ApiError(400, "batch_too_large", f"A batch holds at most {limit} {key} (got {len(items)}).")
    return items


def _product_changes(item: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validate a product item's fields; return the changes to apply."""
    changes = {k: v for k, v in item.items() if k != "id"}
    for field in ("sku", "name"):
        if (creating or field in changes) and not (isinstance(changes.get(field), str) and changes[field].strip()):
            raise ApiError(422, "invalid_field", f"{field} is required and cannot be blank.")
    for field in ("price", "weight"):
        if changes.get(field) is not None:
            try:
                value = Decimal(str(changes[field]))
            except InvalidOperation:
                value = Decimal(-1)
            if not value.is_finite() or value < 0:
                raise ApiError(422, "invalid_field", f"{field} must be a decimal number >= 0, not {changes[field]!r}.")
            changes[field] = str(value.quantize(CENT, ROUND_HALF_UP))
    if changes.get("currency") not in (None, "USD"):
        raise ApiError(422, "invalid_field", f"This store sells in USD, not {changes['currency']}.")
    if changes.get("weight_unit") not in (None, "kg", "g", "lb", "oz"):
        raise ApiError(422, "invalid_field", "weight_unit must be one of kg, g, lb, oz.")
    stock = changes.get("stock")
    if stock is not None and (not isinstance(stock, int) or isinstance(stock, bool) or stock < 0):
        raise ApiError(422, "invalid_field", "stock must be a whole number >= 0.")
    return changes
