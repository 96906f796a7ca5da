"""A fake "legacy shop": a cart with its own JSON API, unlike ecom's protocol on purpose.

There is no real Legacy Shop and no public documentation to follow: this API is invented for the
tests of the mapping mode (:mod:`ecom_custom_cart.declarative`), with the habits of old shop
software that a mapping file must cope with without Python:

- **auth**: an API key, by default in an ``X-Legacy-Key`` header; :attr:`LegacyShopFake.auth`
  switches to the key in a ``key`` query parameter, a bearer token, or HTTP Basic (user ``shop``,
  the key as password). A wrong or missing key is ``401 {"fault": "..."}``;
- **paging**: page numbers (``page`` from 1, ``per_page`` at most 100, the page count in the
  body's ``pages``) by default; :attr:`LegacyShopFake.paging` switches to ``offset``/``limit``, to
  a cursor (``after``, the next one in the body's ``next``) or to an RFC 8288 ``Link`` header;
  listings are sorted by ascending id, so an edit never moves a record between pages;
- **money** as nested objects of strings (``{"amount": "12.50", "currency": "EUR"}``), dates as
  ``YYYY-MM-DD HH:MM:SS`` in UTC without a zone, quantities as strings;
- **item codes** (``LG-MUG-RED``) instead of SKUs (``MUG-RED``);
- **statuses in its own words**: ``new``, ``awaiting payment``, ``on hold``, ``paid``,
  ``dispatched``, ``cancelled``, ``completed``, ``deleted`` and ``basket`` (an abandoned cart);
  :meth:`LegacyShopFake.seed` makes every 25th order ``deleted`` (still listed, as shops keep them);
- **errors** as ``{"fault": "words"}``: 404 for an unknown order or item, 422 for a value the shop
  refuses.

Routes under ``/api``: ``GET /info``; ``GET /orders`` (``changed_since``, ``ids``, paging);
``POST /orders/{id}/state`` (``{"state", "tracking": {"number", "carrier"}}``);
``PUT /stock/{code}`` (``{"on_hand"}``); ``GET /items`` (paging); ``PUT /items/{code}`` (create
or update ``{"title", "price": {"amount"}, "active"}``).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import random
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

from ecom.fake import FakeCart
from ecom.records import CartProduct, Connection
from pydantic import SecretStr

KEY = "legacy-key-7731"
STATES = ("new", "awaiting payment", "on hold", "paid", "dispatched", "cancelled", "completed", "deleted", "basket")
PRODUCTS = {
    "MUG-RED": ("Red mug", "12.50"),
    "MUG-BLUE": ("Blue mug", "12.50"),
    "TEE-S": ("T-shirt S", "19.90"),
    "TEE-M": ("T-shirt M", "19.90"),
    "CAP": ("Cap", "9.00"),
}
_REASONS = {200: "OK", 201: "Created", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed", 422: "Unprocessable Entity"}


def code_of(sku: str) -> str:
    """The shop's item code for an ecom SKU."""
    return f"LG-{sku}"


class LegacyShopFake(FakeCart):
    """The legacy shop's API as a WSGI app (see the module). State is plain dicts, open to tests."""

    kind = "custom_cart"

    def __init__(self, *, auth: str = "header", paging: str = "page") -> None:
        super().__init__()
        self.auth, self.paging = auth, paging
        self.orders: dict[int, dict[str, Any]] = {}
        self.items: dict[str, dict[str, Any]] = {}
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    # -- seeding and looking --------------------------------------------------------------

    def connection(self, base_url: str, *, valid: bool = True) -> Connection:
        return Connection(website_name="Legacy Shop", api_url=base_url, username="shop", password=SecretStr(KEY if valid else "not-the-key"))

    def wired(self, base_url: str = "https://shop.example.com", *, valid: bool = True, **options: Any) -> Connection:
        """A connection to this fake in process (no network), with driver ``options``."""
        return dataclasses.replace(self.connection(base_url, valid=valid), transport=self.transport(), options=options)

    def seed(self, *, orders: int = 0, products: int = 0, seed: int = 0) -> None:
        rng = random.Random(seed)
        for sku in list(PRODUCTS)[: products or len(PRODUCTS)]:
            name, price = PRODUCTS[sku]
            self.items.setdefault(code_of(sku), {"code": code_of(sku), "title": name, "price": {"amount": price, "currency": "EUR"}, "active": True, "on_hand": rng.randint(0, 40), "changed": _stamp(self.now)})
        for n in range(orders):
            skus = rng.sample(sorted(PRODUCTS), rng.randint(1, 3))
            state = rng.choice(("new", "paid", "paid", "awaiting payment"))
            self.add_order(lines=[(sku, rng.randint(1, 3)) for sku in skus], state="deleted" if n % 25 == 24 else state)

    def add_order(self, *, lines: list[tuple[str, int]], state: str = "paid", **changes: Any) -> dict[str, Any]:
        """Add an order buying ``(sku, quantity)`` lines; ``changes`` replace fields of the JSON."""
        order_id = 5001 + len(self.orders)
        self.now += timedelta(minutes=1)
        items, net = [], Decimal("0")
        for pos, (sku, qty) in enumerate(lines, start=1):
            name, price = PRODUCTS.get(sku, (sku, "10.00"))
            net += Decimal(price) * qty
            items.append({"pos": pos, "code": code_of(sku), "text": name, "qty": str(qty), "price": {"amount": price, "currency": "EUR"}})
        postage = Decimal("4.90")
        vat = ((net + postage) * Decimal("0.19")).quantize(Decimal("0.01"))
        person = {"name1": "Erika", "name2": "Muster", "street": "Hauptstr. 1", "town": "Berlin", "zip": "10115", "land": "DE"}
        order = {
            "id": order_id, "ref": f"LS-{order_id}", "placed": _stamp(self.now), "changed": _stamp(self.now), "state": state,
            "buyer": {"id": 77, "mail": "erika@example.com", "first": "Erika", "last": "Muster"},
            "bill_to": dict(person), "deliver_to": dict(person), "items": items,
            "postage": {"service": "DHL Paket", "price": {"amount": str(postage), "currency": "EUR"}},
            "sums": {"vat": {"amount": str(vat), "currency": "EUR"}, "total": {"amount": str(net + postage + vat), "currency": "EUR"}},
            "tracking": [],
        }
        order.update(changes)
        self.orders[order_id] = order
        return order

    def skus(self) -> list[str]:
        return sorted(code.removeprefix("LG-") for code in self.items)

    def stock(self, sku: str, location: str | None = None) -> int | None:
        item = self.items.get(code_of(sku))
        return None if item is None or location is not None else item["on_hand"]

    def product(self, sku: str) -> CartProduct | None:
        item = self.items.get(code_of(sku))
        if item is None:
            return None
        return CartProduct(sku=sku, name=item["title"], external_id=item["code"], price=Decimal(item["price"]["amount"]), currency="EUR", active=item["active"], quantity=item["on_hand"])

    def tracking(self, order_id: str) -> list[str]:
        order = self.orders.get(int(order_id)) if order_id.isdigit() else None
        return [t["number"] for t in order["tracking"]] if order else []

    # -- the API --------------------------------------------------------------------------

    def app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        headers: list[tuple[str, str]] = []
        if not self._authorised(environ, query):
            status, body = 401, {"fault": "unknown or missing API key"}
        else:
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                status, body = 422, {"fault": "the body is not JSON"}
            else:
                status, body = self._route(method, path, query, body, headers, environ)
        data = json.dumps(body).encode()
        headers += [("Content-Type", "application/json"), ("Content-Length", str(len(data))), ("Date", format_datetime(self.now, usegmt=True))]
        start_response(f"{status} {_REASONS.get(status, 'Error')}", headers)
        return [data]

    def failure_response(self, status: int, retry_after: float | None) -> tuple[list[tuple[str, str]], bytes]:
        headers = [("Content-Type", "application/json")]
        if retry_after is not None:
            headers.append(("Retry-After", f"{retry_after:g}"))
        return headers, json.dumps({"fault": "the shop is busy, try again"}).encode()

    def _authorised(self, environ: dict[str, Any], query: dict[str, str]) -> bool:
        if self.auth == "header":
            given = environ.get("HTTP_X_LEGACY_KEY")
        elif self.auth == "query":
            given = query.pop("key", None)
        elif self.auth == "bearer":
            given = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ")
        else:  # basic
            header = environ.get("HTTP_AUTHORIZATION", "")
            try:
                user, _, given = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
            except ValueError:
                return False
            if not header.startswith("Basic ") or user != "shop":
                return False
        return given == KEY

    def _route(self, method: str, path: str, query: dict[str, str], body: Any, headers: list[tuple[str, str]], environ: dict[str, Any]) -> tuple[int, Any]:
        if method == "GET" and path == "/api/info":
            return 200, {"shop": "Legacy Shop", "version": "2.3"}
        if method == "GET" and path in ("/api/orders", "/api/items"):
            return self._listing(path, query, headers, environ)
        if m := re.fullmatch(r"/api/orders/(\d+)/state", path):
            if method != "POST":
                return 405, {"fault": f"{method} is not allowed here"}
            order = self.orders.get(int(m[1]))
            if order is None:
                return 404, {"fault": f"no order {m[1]}"}
            state = body.get("state") if isinstance(body, dict) else None
            if state not in STATES:
                return 422, {"fault": f"unknown state {state!r}"}
            order["state"] = state
            tracking = body.get("tracking") or {}
            if tracking.get("number") and tracking["number"] not in [t["number"] for t in order["tracking"]]:
                order["tracking"].append({"number": tracking["number"], "carrier": tracking.get("carrier")})
            self.now += timedelta(seconds=1)
            order["changed"] = _stamp(self.now)
            return 200, {"order": order["id"], "state": state}
        if m := re.fullmatch(r"/api/stock/([^/]+)", path):
            if method != "PUT":
                return 405, {"fault": f"{method} is not allowed here"}
            item = self.items.get(m[1])
            if item is None:
                return 404, {"fault": f"no item with code {m[1]}"}
            on_hand = body.get("on_hand") if isinstance(body, dict) else None
            if not isinstance(on_hand, int) or isinstance(on_hand, bool) or on_hand < 0:
                return 422, {"fault": f"on_hand must be a whole number of 0 or more, not {on_hand!r}"}
            item["on_hand"] = on_hand
            return 200, {"code": item["code"], "on_hand": on_hand}
        if m := re.fullmatch(r"/api/items/([^/]+)", path):
            if method != "PUT":
                return 405, {"fault": f"{method} is not allowed here"}
            if not isinstance(body, dict) or not body.get("title"):
                return 422, {"fault": "an item needs a title"}
            created = m[1] not in self.items
            item = self.items.setdefault(m[1], {"code": m[1], "on_hand": 0, "active": True})
            item.update(title=body["title"], price={"amount": str((body.get("price") or {}).get("amount", "0")), "currency": "EUR"}, active=bool(body.get("active", True)), changed=_stamp(self.now))
            return (201 if created else 200), {"code": item["code"]}
        return 404, {"fault": f"no route {method} {path}"}

    def _listing(self, path: str, query: dict[str, str], headers: list[tuple[str, str]], environ: dict[str, Any]) -> tuple[int, Any]:
        name = "orders" if path.endswith("orders") else "items"
        if name == "orders":
            rows = [self.orders[k] for k in sorted(self.orders)]
            if "ids" in query:
                wanted = {int(i) for i in query["ids"].split(",") if i.strip().isdigit()}
                rows = [o for o in rows if o["id"] in wanted]
            if "changed_since" in query:
                rows = [o for o in rows if o["changed"] >= query["changed_since"]]
        else:
            rows = [self.items[k] for k in sorted(self.items)]
        try:
            size = int(query.get("per_page", query.get("limit", "20")))
        except ValueError:
            return 422, {"fault": "per_page must be a number"}
        if not 1 <= size <= 100:
            return 422, {"fault": "per_page must be from 1 to 100"}
        if self.paging == "page":
            page = int(query.get("page", "1"))
            pages = max(1, -(-len(rows) // size))
            return 200, {"result": {name: rows[(page - 1) * size : page * size]}, "page": page, "pages": pages}
        if self.paging == "offset":
            start = int(query.get("offset", "0"))
            return 200, {"result": {name: rows[start : start + size]}, "total": len(rows)}
        if self.paging == "cursor":
            after = query.get("after", "")
            key = (lambda row: str(row["id"]).zfill(10)) if name == "orders" else (lambda row: row["code"])
            rest = [row for row in rows if not after or key(row) > after]
            chunk = rest[:size]
            return 200, {"result": {name: chunk}, "next": key(chunk[-1]) if len(rest) > size else None}
        # link
        page = int(query.get("page", "1"))
        chunk = rows[(page - 1) * size : page * size]
        if page * size < len(rows):
            kept = {k: v for k, v in query.items() if k != "key"}
            host = environ.get("HTTP_HOST", "localhost")
            scheme = environ.get("wsgi.url_scheme", "http")
            headers.append(("Link", f'<{scheme}://{host}{path}?{urlencode({**kept, "page": page + 1})}>; rel="next"'))
        return 200, {"result": {name: chunk}}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
