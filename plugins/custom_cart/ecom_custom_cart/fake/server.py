"""The reference server of the ecom cart protocol, version 1: what a merchant's site implements.

The protocol is specified in ``docs/custom-cart-protocol.json`` (OpenAPI 3.1) and explained with
an example per operation in ``docs/custom-cart.md``; ``tests/test_protocol_document.py`` checks
every route and every answer of this server against that document with openapi-core. When the
two disagree, the document is the contract and this server is wrong.

In short, under the merchant's base URL (the integration's API URL):

* ``GET /v1/info``: the protocol version spoken, the store's name and currency.
* ``GET /v1/orders?since=&cursor=&limit=``: orders changed at or after ``since``, in the order
  of their **change sequence** (each change gives an order the next number of a store-wide
  counter), ``{"orders": [CartOrder...], "next_cursor": "..." | null}``. The cursor is the last
  change number served, so an order edited during a read moves after it (and is served again)
  and no other order moves: no order is ever skipped.
* ``GET /v1/orders?ids=a,b,...``: the orders with these ids, at most 100; unknown ids left out.
* ``POST /v1/orders/status``: ``{"updates": [StatusUpdate...]}`` (at most 100), one PushResult
  per update, in order.
* ``GET /v1/products?since=&cursor=&limit=``: as for orders, ``{"products": [CartProduct...]}``.
* ``POST /v1/products``: ``{"products": [CartProduct...]}`` (at most 100): update by
  ``external_id``, else by ``sku``, else create; one PushResult each.
* ``POST /v1/stock``: ``{"levels": [StockLevel...]}`` (at most 100): set each SKU's quantity;
  one PushResult each.

Records are ecom's public JSON form (``docs/records.schema.json``). Auth is
``Authorization: Bearer <token>`` or HTTP Basic; anything else is 401. Errors are
``{"error": {"code", "message"}}``; a version the server does not speak (``/v2/...``) is 404
``unsupported_version`` with ``supported_versions``. A record of a batch that is refused fails
alone (``ok: false`` with the server's words); only a malformed request fails as a whole (400).
Every answer carries ``Date`` (the store's clock) and ``Ecom-Protocol-Version: 1``; 429 and 503
carry ``Retry-After`` in seconds.
"""

from __future__ import annotations

import base64
import json
import random
import re
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs

from ecom.fake import FakeCart
from ecom.records import CartOrder, CartProduct, Connection, PushResult, StatusUpdate, StockLevel, WebOrderStatus, failure_text
from ecom.testing.testcart import order_from_cart, product_from_cart
from ecom.testing.testcart_seed import CATALOGUE, seed_orders, seed_products
from pydantic import SecretStr, ValidationError

VERSION = "1"
MAX_BATCH = 100
MAX_LIMIT = 100
DEFAULT_LIMIT = 50
#: What each kind of status update makes of an order: (status, the store's own word).
DONE = {"shipped": (WebOrderStatus.CLOSED, "shipped"), "voided": (WebOrderStatus.VOIDED, "cancelled"),
        "closed": (WebOrderStatus.CLOSED, "completed")}
#: The words this store accepts as a "cart status after import".
AFTER_IMPORT = ("paid", "on_hold", "authorized", "ecom-imported")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


class CustomCartFake(FakeCart):
    """A store speaking the ecom cart protocol, version 1. ``token`` opens it with Bearer auth,
    ``basic`` (user, password) with Basic auth."""

    kind = "custom_cart"

    def __init__(self, *, clock: Callable[[], float] | None = None) -> None:
        super().__init__()
        self.token = "ecom-fake-token-5f0c2a"
        self.basic = ("ecom", "ecom-fake-password-9d41")
        self.name, self.currency = "Custom Cart demo store", "USD"
        self.orders: dict[str, dict[str, Any]] = {}
        self.products: dict[str, dict[str, Any]] = {}
        self.shipments: dict[str, list[dict[str, Any]]] = {}
        self._seq = 0
        self._changed: dict[tuple[str, str], int] = {}  # (kind, id) -> change number
        self._updated: dict[tuple[str, str], datetime] = {}  # (kind, id) -> when it last changed
        self._ids = {"order": 1000, "product": 100, "line": 5000}
        self._clock = clock
        self._request = threading.local()  # whether the request being answered changed the store

    # -- the fake's side of the conformance suite ----------------------------------------------

    def connection(self, base_url: str, *, valid: bool = True) -> Connection:
        token = self.token if valid else "revoked-token-00000"
        return Connection(website_name=self.name, api_url=base_url, password=SecretStr(token))

    def seed(self, *, orders: int = 0, products: int = 0, seed: int = 0) -> None:
        """Realistic orders and products, made by the Test Cart seed and carried over into
        ecom's records (so they are what a merchant's site would serve)."""
        rng = random.Random(seed)
        with self._lock:
            if orders and not self.products:
                products = max(products, len(CATALOGUE))
            made = seed_products(rng, products, taken=set(self.skus()), new_id=self._new_id)
            for raw in made:
                record = product_from_cart(raw).model_copy(update={"raw": {}})
                self._put_product(_wire(record))
            catalogue = [p for p in made] or [_as_testcart(p) for p in self.products.values()]
            for raw in seed_orders(rng, orders, catalogue, start=len(self.orders), new_id=self._new_id):
                order = order_from_cart(raw).model_copy(update={"raw": {}})
                self.orders[order.external_id] = _wire(order)
                self._touch("order", order.external_id)

    def skus(self) -> list[str]:
        return sorted(p["sku"] for p in self.products.values() if p.get("sku"))

    def stock(self, sku: str, location: str | None = None) -> int | None:
        product = self._by_sku(sku)
        return None if product is None or location else product.get("quantity")

    def product(self, sku: str) -> CartProduct | None:
        product = self._by_sku(sku)
        return CartProduct.model_validate(product) if product else None

    def tracking(self, order_id: str) -> list[str]:
        return [s["tracking_number"] for s in self.shipments.get(order_id, []) if s.get("tracking_number")]

    # -- the API ----------------------------------------------------------------------------

    def failure_response(self, status: int, retry_after: float | None) -> tuple[list[tuple[str, str]], bytes]:
        headers = [("Content-Type", "application/json"), ("Ecom-Protocol-Version", VERSION)]
        if retry_after is not None:
            headers.append(("Retry-After", f"{retry_after:g}"))
        code = "rate_limited" if status == 429 else "server_error"
        return headers, json.dumps({"error": {"code": code, "message": f"Injected {status} answer."}}).encode()

    def is_write(self, method: str, path: str, body: bytes) -> bool:
        """A request that changed the store: a batch whose records were all refused or unchanged
        wrote nothing (the protocol's writes are POSTs of batches)."""
        return getattr(self._request, "changed", method != "GET")

    def app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        before = self._seq
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()}
        try:
            self._authenticate(environ.get("HTTP_AUTHORIZATION", ""))
            status, body = self._route(method, path, query, environ["wsgi.input"].read())
        except ApiError as exc:
            status, body = exc.status, {"error": {"code": exc.code, "message": exc.message}, **exc.extra}
        self._request.changed = self._seq != before
        payload = json.dumps(body).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload))),
                   ("Date", format_datetime(self._now(), usegmt=True)), ("Ecom-Protocol-Version", VERSION)]
        start_response(f"{status} {_REASONS.get(status, 'Error')}", headers)
        return [payload]

    def _authenticate(self, header: str) -> None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value == self.token:
            return
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
            except ValueError:
                user, password = "", ""
            if (user, password) == self.basic:
                return
        raise ApiError(401, "unauthorized", "The token or user name and password are not accepted by this store.")

    def _route(self, method: str, path: str, query: dict[str, str], raw: bytes) -> tuple[int, Any]:
        # the store serves the protocol under its own base path (the API URL): /<base>/v1/...
        parts = path.strip("/").split("/")
        at = next((n for n, part in enumerate(parts) if re.fullmatch(r"v\d+", part)), None)
        if at is None:
            raise ApiError(404, "not_found", f"No route {path}: the protocol's routes start with /v{VERSION}/.")
        version, rest = parts[at], "/".join(parts[at + 1 :])
        if version != f"v{VERSION}":
            raise ApiError(404, "unsupported_version", f"This store speaks the ecom cart protocol version {VERSION} "
                           f"only (/v{VERSION}/...); {path!r} is not one of its routes.", supported_versions=[VERSION])
        routes: dict[tuple[str, str], Callable[..., Any]] = {
            ("GET", "info"): lambda: self._info(),
            ("GET", "orders"): lambda: self._list_orders(query),
            ("POST", "orders/status"): lambda: self._status(self._batch(raw, "updates")),
            ("GET", "products"): lambda: self._list("product", self.products, query, "products"),
            ("POST", "products"): lambda: self._upsert(self._batch(raw, "products")),
            ("POST", "stock"): lambda: self._stock(self._batch(raw, "levels")),
        }
        handler = routes.get((method, rest))
        if handler is None:
            if any(route == rest for _, route in routes):
                raise ApiError(405, "method_not_allowed", f"{method} is not allowed on {path}.")
            raise ApiError(404, "not_found", f"No route {path}.")
        return 200, handler()

    # -- reads --------------------------------------------------------------------------------

    def _info(self) -> dict[str, Any]:
        return {"protocol_version": VERSION, "supported_versions": [VERSION], "name": self.name,
                "currency": self.currency, "orders": len(self.orders), "after_import_statuses": list(AFTER_IMPORT)}

    def _list_orders(self, query: dict[str, str]) -> dict[str, Any]:
        if "ids" not in query:
            return self._list("order", self.orders, query, "orders")
        ids = [i.strip() for i in query["ids"].split(",") if i.strip()]
        if not ids or len(ids) > MAX_BATCH:
            raise ApiError(400, "invalid_parameter", f"ids takes 1 to {MAX_BATCH} order ids, comma-separated; {len(ids)} given.")
        return {"orders": [self.orders[i] for i in ids if i in self.orders], "next_cursor": None}

    def _list(self, kind: str, table: dict[str, dict[str, Any]], query: dict[str, str], key: str) -> dict[str, Any]:
        limit = _number(query.get("limit", str(DEFAULT_LIMIT)), "limit", 1, MAX_LIMIT)
        after = _number(query["cursor"], "cursor", 0, None) if query.get("cursor") else 0
        since = _moment(query["since"]) if query.get("since") else None
        rows = sorted((self._changed[(kind, i)], i) for i in table if self._changed[(kind, i)] > after)
        rows = [(n, i) for n, i in rows if since is None or self._updated[(kind, i)] >= since]
        page = rows[:limit]
        more = len(rows) > limit
        return {key: [table[i] for _, i in page], "next_cursor": str(page[-1][0]) if more else None}

    # -- writes -------------------------------------------------------------------------------

    def _batch(self, raw: bytes, key: str) -> list[Any]:
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            raise ApiError(400, "invalid_json", "The request body is not JSON.") from None
        items = body.get(key) if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise ApiError(400, "invalid_parameter", f"The body must be {{{key!r}: [...]}}.")
        if len(items) > MAX_BATCH:
            raise ApiError(400, "batch_too_large", f"{len(items)} items in one request; at most {MAX_BATCH}.")
        return items

    def _status(self, items: list[Any]) -> dict[str, Any]:
        return {"results": [_answer(self._one_status, raw, StatusUpdate, "order_id") for raw in items]}

    def _one_status(self, update: StatusUpdate) -> PushResult:
        order = self.orders.get(update.order_id)
        ref = update.order_id
        if order is None:
            return PushResult.failed(ref, f"No order {ref} in this store.")
        if update.kind == "cart_status":
            if update.cart_status not in AFTER_IMPORT:
                return PushResult.failed(ref, f"{update.cart_status!r} is not a status of this store ({', '.join(AFTER_IMPORT)}).")
            if update.unchanged_since is not None and _moment(order["updated_at"]) > update.unchanged_since:
                return PushResult(ref=ref, ok=True, action="unchanged", external_id=ref,
                                  message=f"Order {order['number']} changed in the store since it was imported (now {order['cart_status']}).")
            status = WebOrderStatus(order["status"])
            word = update.cart_status
        else:
            status, word = DONE[update.kind]
        if order["archived"]:
            return PushResult.failed(ref, f"Order {order['number']} is archived; it cannot change.")
        if update.kind != "shipped" and order["status"] == WebOrderStatus.VOIDED.value and status != WebOrderStatus.VOIDED:
            return PushResult.failed(ref, f"Order {order['number']} is cancelled; it cannot become {word}.")
        shipments = self.shipments.setdefault(ref, [])
        if update.kind == "shipped":
            if order["status"] == WebOrderStatus.VOIDED.value:
                return PushResult.failed(ref, f"Order {order['number']} is cancelled; it cannot be shipped.")
            if not any(s.get("tracking_number") == update.tracking_number for s in shipments):  # a retry adds none
                shipments.append(update.model_dump(mode="json", include={"tracking_number", "carrier", "tracking_url", "shipped_at"}))
        unchanged = (order["status"], order["cart_status"]) == (status.value, word) and update.kind != "shipped"
        if not unchanged:
            order.update(status=status.value, cart_status=word, updated_at=self._now().isoformat())
            self._touch("order", ref)
        return PushResult(ref=ref, ok=True, action="unchanged" if unchanged else "updated", external_id=ref)

    def _upsert(self, items: list[Any]) -> dict[str, Any]:
        return {"results": [_answer(self._one_product, raw, CartProduct, "sku") for raw in items]}

    def _one_product(self, product: CartProduct) -> PushResult:
        ref = product.sku or product.name
        if product.currency and product.currency != self.currency:
            return PushResult.failed(ref, f"Prices are in {self.currency} in this store, not {product.currency}.")
        found = self.products.get(product.external_id or "") or (self._by_sku(product.sku) if product.sku else None)
        if found is None:
            if not product.sku:
                return PushResult.failed(ref, "A new product needs a SKU.")
            self._ids["product"] += 1
            fields = product.model_dump(mode="json", exclude={"raw", "quantity"})
            found = self._put_product({**fields, "external_id": str(self._ids["product"]), "currency": self.currency, "quantity": 0})
            return PushResult(ref=ref, ok=True, action="created", external_id=found["external_id"])
        if product.sku and product.sku != found.get("sku") and self._by_sku(product.sku) is not None:
            return PushResult.failed(ref, f"SKU {product.sku} belongs to another product.")
        changes = product.model_dump(mode="json", exclude={"raw", "quantity", "external_id", "parent_id"}, exclude_none=True)
        found.update(changes)
        self._touch("product", found["external_id"])
        return PushResult(ref=ref, ok=True, action="updated", external_id=found["external_id"])

    def _stock(self, items: list[Any]) -> dict[str, Any]:
        return {"results": [_answer(self._one_level, raw, StockLevel, "sku") for raw in items]}

    def _one_level(self, level: StockLevel) -> PushResult:
        product = self._by_sku(level.sku)
        if product is None:
            return PushResult.failed(level.sku, f"No product with SKU {level.sku} in this store.")
        if level.location:
            return PushResult.failed(level.sku, f"This store keeps one stock quantity per product; it has no location {level.location!r}.")
        if product.get("quantity") is None:
            return PushResult.failed(level.sku, f"This store does not track the stock of {level.sku}.")
        if level.quantity < 0:
            return PushResult.failed(level.sku, f"Quantity {level.quantity} is below zero.")
        if product["quantity"] == level.quantity:
            return PushResult(ref=level.sku, ok=True, action="unchanged", external_id=product["external_id"])
        product.update(quantity=level.quantity)
        self._touch("product", product["external_id"])
        return PushResult(ref=level.sku, ok=True, external_id=product["external_id"])

    # -- inside -------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC) if self._clock else datetime.now(UTC)

    def _new_id(self, kind: str) -> int:
        self._ids[kind] = self._ids.get(kind, 0) + 1
        return self._ids[kind]

    def _touch(self, kind: str, key: str) -> None:
        self._seq += 1
        self._changed[(kind, key)] = self._seq
        table = self.orders if kind == "order" else self.products
        stamp = table.get(key, {}).get("updated_at") if kind == "order" else None
        self._updated[(kind, key)] = _moment(stamp) if stamp else self._now()

    def _put_product(self, product: dict[str, Any]) -> dict[str, Any]:
        self.products[product["external_id"]] = product
        self._touch("product", product["external_id"])
        return product

    def _by_sku(self, sku: str | None) -> dict[str, Any] | None:
        return next((p for p in self.products.values() if sku and p.get("sku") == sku), None)


def _wire(record: CartOrder | CartProduct) -> dict[str, Any]:
    """A record in the protocol's JSON form."""
    return record.model_dump(mode="json", exclude={"raw"})


def _as_testcart(product: dict[str, Any]) -> dict[str, Any]:
    """A stored product in the shape the Test Cart order seed picks lines from."""
    return {"id": int(product["external_id"]), "sku": product["sku"], "name": product["name"], "price": product["price"],
            "taxable": True, "track_stock": product.get("quantity") is not None}


def _answer(apply: Callable[[Any], PushResult], raw: Any, model: type, ref_field: str) -> dict[str, Any]:
    """One record of a batch: read it as the record it must be, apply it; a bad one fails alone."""
    ref = str(raw.get(ref_field) or "(unnamed)") if isinstance(raw, dict) else "(not an object)"
    try:
        record = model.model_validate(raw)
    except ValidationError as exc:
        return PushResult.failed(ref, failure_text(exc, raw)).model_dump(mode="json")
    return apply(record).model_dump(mode="json")


def _number(text: str, name: str, low: int, high: int | None) -> int:
    if not text.isdigit() or int(text) < low or (high is not None and int(text) > high):
        bounds = f"{low} to {high}" if high is not None else f"a whole number from {low}"
        raise ApiError(400, "invalid_cursor" if name == "cursor" else "invalid_parameter", f"{name} must be {bounds}; got {text!r}.")
    return int(text)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, "invalid_parameter", f"{text!r} is not an ISO 8601 date and time.") from None
    if moment.tzinfo is None:
        raise ApiError(400, "invalid_parameter", f"{text!r} has no UTC offset.")
    return moment


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}
