"""The fake WooCommerce store: a stateful WSGI app serving ``/wp-json/wc/v3`` as WooCommerce does.

Behaviour comes from WooCommerce's documentation and the code it points to:

- authentication (docs "Authentication"; ``class-wc-rest-authentication.php``): over HTTPS, HTTP
  Basic with the consumer key and secret, or ``consumer_key``/``consumer_secret`` in the query
  string; over HTTP, OAuth 1.0a one-legged, parameters in the query string or an ``OAuth``
  Authorization header, HMAC-SHA1 or HMAC-SHA256 under ``consumer_secret&``, a timestamp within
  15 minutes and a nonce never seen before. Its error codes and messages, word for word. An
  unknown key over HTTPS is no error there: the request goes on anonymous and the route refuses
  it (``woocommerce_rest_cannot_view``...). A read-only key may not write;
- pagination (docs "Introduction": Pagination, Link header): ``page``/``per_page``/``offset``,
  ``X-WP-Total``, ``X-WP-TotalPages``, ``Link`` rel prev/next; ``per_page`` outside 1-100 is
  WordPress's 400 ``rest_invalid_param`` (``class-wp-rest-controller.php``, ``'maximum' => 100``);
- batches (``WC_REST_Controller::check_batch_limit`` and ``batch_items``): at most 100 objects
  across create/update/delete, else 413 ``woocommerce_rest_request_entity_too_large``; each object
  answered in order, a failed one as ``{"id", "error": {code, message, data}}``;
- errors (docs "Introduction": Errors): ``{"code", "message", "data": {"status"}}``;
- orders, order notes, products and variations with stock (docs "Orders", "Order notes",
  "Products", "Product variations", "System status"): ``modified_after`` is exclusive and read in
  GMT when ``dates_are_gmt``; status ``any`` leaves out ``trash``; ``GET /products?sku=a,b``
  also finds variations; a stock quantity is kept only while ``manage_stock`` is on;
- answers that are not the API's (:meth:`ecom.fake.FakeCart.garble_next`): the HTML page is the
  store's front page, which WordPress serves with 200 for a ``/wp-json/`` path when permalinks are
  "Plain" (docs "Introduction": Requirements, "Pretty permalinks ... Default permalinks will not
  work"; developer.woocommerce.com "Getting started with the WooCommerce REST API").

Every answer carries a ``Date`` header from the fake's clock, as WordPress's web server sends
one (RFC 9110 §6.6.1: an origin server with a clock sends Date). Listing parameters follow the
docs' "List all orders" table (wcdocs ``source/includes/wp-api-v3/_orders.md``): ``offset``,
``include``, ``orderby`` id. :meth:`WooCommerceFake.during_listing` changes the store between two
page reads (an order edited, trashed or created while a sync reads), the way a merchant working
in the shop does.

Faults beyond the base class's (:meth:`ecom.fake.FakeCart.fail_next`): :meth:`WooCommerceFake.lose_answers`
serves a request, keeps what it saved, and answers WordPress's 500 "critical error" instead, as a
PHP fatal after the save (a mail plugin failing on the note's email) or a proxy timing out would.

Not served: webhooks, coupons, customers, refunds, reports, settings. Link headers leave out the
authentication parameters (WordPress would repeat them) and keep one value per query key, the
last, as PHP parses a query string (``name[]`` arrays keep every value).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from ecom.fake import FakeCart
from ecom.records import CartProduct, Connection
from pydantic import SecretStr

from ecom_woocommerce.fake import seed as seeding

PREFIX = "/wp-json/wc/v3"
ORDER_STATUSES = ["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft"]
PRODUCT_STATUSES = ["draft", "pending", "private", "publish", "future"]
AUTH_PARAMS = ("oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method")
NONCE_WINDOW = 15 * 60


class WooError(Exception):
    """A WordPress REST error: ``{"code", "message", "data": {"status", ...}}``."""

    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.data = status, code, message, data

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": {"status": self.status, **self.data}}


def invalid_params(**reasons: str) -> WooError:
    return WooError(400, "rest_invalid_param", f"Invalid parameter(s): {', '.join(reasons)}", params=reasons)


@dataclass
class ApiKey:
    """A REST API key: its secret, its permissions (read, write, read_write), the nonces it used."""

    secret: str
    permissions: str = "read_write"
    nonces: dict[str, int] = field(default_factory=dict)


@dataclass
class Request:
    method: str
    route: str
    query: dict[str, list[str]]
    body: dict[str, Any]
    base: str  # scheme://host, as WordPress's home URL
    arrays: frozenset[str] = frozenset()  # parameters sent as ``name[]=``, which keep every value

    def one(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def many(self, name: str) -> list[str] | None:
        """An array argument: ``a[]=x&a[]=y`` or ``a=x,y`` (WordPress's ``wp_parse_list``)."""
        values = self.query.get(name)
        return None if values is None else [p for v in values for p in re.split(r"[,\s]+", v) if p]


class WooCommerceFake(FakeCart):
    """A fake WooCommerce store. ``clock`` gives POSIX time (timestamps, dates); ``utc_offset``
    is the site's time zone, for the non-GMT dates."""

    kind = "woocommerce"

    def __init__(self, *, clock: Callable[[], float] = time.time, utc_offset: timedelta = timedelta(hours=-4)) -> None:
        super().__init__()
        self.clock, self.utc_offset = clock, utc_offset
        self.batch_limit = 100
        self.keys: dict[str, ApiKey] = {}
        self.consumer_key, self.consumer_secret = self.add_key()
        self.orders: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.products: dict[int, dict[str, Any]] = {}
        self.variations: dict[int, dict[str, Any]] = {}  # each keeps its "parent_id"
        self.statuses = list(ORDER_STATUSES)
        self._ids = iter(range(100, 10**9))
        self._listing_changes: list[tuple[int, Callable[[], None]]] = []
        self._listings = 0
        self._seeds = 0
        self._lost: list[tuple[str, str]] = []  # (method, route pattern) of answers to lose
        self._id_lock = threading.Lock()

    # -- set up -------------------------------------------------------------------------------

    def add_key(self, permissions: str = "read_write") -> tuple[str, str]:
        """A new API key with these permissions; returns (consumer key, consumer secret)."""
        rng = random.Random(f"key-{len(self.keys)}-{permissions}")
        key, secret = f"ck_{rng.getrandbits(160):040x}", f"cs_{rng.getrandbits(160):040x}"
        self.keys[key] = ApiKey(secret, permissions)
        return key, secret

    def lose_answers(self, method: str, route: str, *, times: int = 1) -> None:
        """Serve the next ``times`` requests ``method`` ``route`` (a pattern under ``/wp-json/wc/v3``,
        e.g. ``/orders/\\d+/notes``) but answer 500 after saving: the write is done, its answer lost."""
        with self._lock:
            self._lost += [(method, route)] * times

    def register_status(self, slug: str) -> None:
        """Register a custom order status, as a plugin would through ``wc_order_statuses``."""
        self.statuses.append(slug.removeprefix("wc-"))

    def during_listing(self, change: Callable[[], None], *, after: int = 1) -> None:
        """Run ``change`` once, right after the ``after``-th ``GET /orders`` from now was answered:
        the store changes between two page reads of a sync."""
        self._listing_changes.append((self._listings + after, change))

    def edit_order(self, oid: int) -> None:
        """Edit order ``oid`` as the merchant would in wp-admin: its ``date_modified`` becomes now."""
        self.orders[oid]["customer_note"] = (self.orders[oid].get("customer_note") or "") + " (edited)"
        self.orders[oid].update(self._dates("date_modified"))

    def trash_order(self, oid: int) -> None:
        """Move order ``oid`` to the trash (it leaves the ``any`` listing), as wp-admin does."""
        self.orders[oid]["status"] = "trash"
        self.orders[oid].update(self._dates("date_modified"))

    def next_id(self) -> int:
        with self._id_lock:
            return next(self._ids)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC).replace(microsecond=0)

    def connection(self, base_url: str, *, valid: bool = True) -> Connection:
        secret = self.consumer_secret if valid else "cs_" + "0" * 40
        host = urlsplit(base_url).hostname or ""
        insecure = base_url.startswith("http://") and host != "localhost" and not _loopback(host)
        return Connection(
            website_name="Fake WooCommerce", api_url=base_url, username=self.consumer_key,
            password=SecretStr(secret), options={"allow_http": True} if insecure else {},
        )

    def seed(self, *, orders: int = 0, products: int = 0, seed: int = 0) -> None:
        rng = random.Random(f"{seed}-{self._seeds}")
        self._seeds += 1
        with self._lock:
            if products or (orders and not self.products):
                self._add_catalogue(seeding.catalogue(products or 8, rng))
            sellables = self._sellables()
            statuses = seeding.STATUSES[: min(orders, len(seeding.STATUSES))]
            statuses += rng.choices(seeding.STATUSES, seeding.STATUS_WEIGHTS, k=orders - len(statuses))
            drafts = ["checkout-draft"] * (orders // 50)
            for status in statuses + drafts:
                order_id = self.next_id()
                self.orders[order_id] = seeding.order(order_id, status, sellables, rng, self.now(), self.utc_offset, self.next_id)
                self.notes[order_id] = []

    def _add_catalogue(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            pid = self.next_id()
            variable = bool(item["variations"])
            self.products[pid] = self._product(pid, {
                "name": item["name"], "type": "variable" if variable else "simple", "sku": item["sku"],
                "regular_price": "" if variable else item["price"], "weight": item["weight"],
                "manage_stock": not variable, "stock_quantity": None if variable else item["stock"], "status": "publish",
            })
            for var in item["variations"]:
                vid = self.next_id()
                self.variations[vid] = self._variation(vid, pid, {
                    "sku": var["sku"], "regular_price": var["price"], "manage_stock": True,
                    "stock_quantity": var["stock"], "status": "publish",
                    "attributes": [{"id": 0, "name": n, "option": o} for n, o in var["attributes"]],
                })
                self.products[pid]["variations"].append(vid)

    def _sellables(self) -> list[seeding.Sellable]:
        out = []
        for pid, p in self.products.items():
            if p["type"] == "simple":
                out.append(seeding.Sellable(pid, 0, p["name"], p["sku"], Decimal(p["regular_price"] or "0")))
        for vid, v in self.variations.items():
            parent = self.products[v["parent_id"]]
            name = f"{parent['name']} - {', '.join(a['option'] for a in v['attributes'])}"
            out.append(seeding.Sellable(v["parent_id"], vid, name, v["sku"], Decimal(v["regular_price"] or "0")))
        return out

    # -- the conformance suite's view of the state --------------------------------------------------

    def skus(self) -> list[str]:
        sellable = [p["sku"] for p in self.products.values() if p["type"] == "simple"]
        return sorted(s for s in sellable + [v["sku"] for v in self.variations.values()] if s)

    def _by_sku(self, sku: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(product, variation) holding this SKU: the variation's parent and the variation, or
        the product and None."""
        for v in self.variations.values():
            if v["sku"] == sku:
                return self.products.get(v["parent_id"]), v
        return next((p for p in self.products.values() if p["sku"] == sku), None), None

    def stock(self, sku: str, location: str | None = None) -> int | None:
        product, variation = self._by_sku(sku)
        item = variation or product
        if item is None or location is not None or not item["manage_stock"]:
            return None
        return item["stock_quantity"]

    def product(self, sku: str) -> CartProduct | None:
        product, variation = self._by_sku(sku)
        if product is None:
            return None
        item = variation or product
        price = item["regular_price"]
        return CartProduct(
            sku=sku, name=product["name"], external_id=str(item["id"]),
            parent_id=str(product["id"]) if variation else None,
            variant_title=", ".join(a["option"] for a in item["attributes"] if a.get("option")) or None if variation else None,
            description=item["description"] or None, price=Decimal(price) if price else None,
            weight=Decimal(item["weight"]) if item["weight"] else None, weight_unit="kg" if item["weight"] else None,
            active=item["status"] == "publish", quantity=item["stock_quantity"] if item["manage_stock"] else None,
        )

    def tracking(self, order_id: str) -> list[str]:
        notes = self.notes.get(int(order_id), []) if order_id.isdigit() else []
        found = (re.search(r"tracking (?:number|no\.?|#)[:\s]*([A-Za-z0-9-]+)", n["note"], re.I) for n in notes)
        return [m.group(1) for m in found if m]

    # -- the API ----------------------------------------------------------------------------------

    def failure_response(self, status: int, retry_after: float | None) -> tuple[list[tuple[str, str]], bytes]:
        headers, _ = super().failure_response(status, retry_after)
        if status == 429:
            error = WooError(429, "rest_too_many_requests", "Too many requests. Please try again later.")
        elif status >= 500:
            error = WooError(status, "internal_server_error", "<p>There has been a critical error on this website.</p>")
        else:
            error = WooError(status, "rest_error", "The request could not be served.")
        return headers, json.dumps(error.body()).encode()

    def html_page(self) -> bytes:
        return (
            b'<!DOCTYPE html>\n<html lang="en-US"><head><meta charset="UTF-8">'
            b"<title>Fake WooCommerce &#8211; Just another WordPress site</title>"
            b"<link rel='https://api.w.org/' href='/index.php?rest_route=/' /></head>"
            b'<body class="home blog"><h1 class="site-title">Fake WooCommerce</h1></body></html>\n'
        )

    def app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query: dict[str, list[str]] = {}
        arrays = set()
        for name, value in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True):
            query.setdefault(name.removesuffix("[]"), []).append(value)
            if name.endswith("[]"):
                arrays.add(name.removesuffix("[]"))
        scheme, host = environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        headers: list[tuple[str, str]] = [
            ("Content-Type", "application/json; charset=UTF-8"), ("Date", format_datetime(self.now(), usegmt=True))
        ]
        try:
            if not path.startswith(PREFIX):
                raise WooError(404, "rest_no_route", "No route was found matching the URL and request method.")
            raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0) or -1)
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError:
                raise WooError(400, "rest_invalid_json", "Invalid JSON body passed.") from None
            request = Request(method, path[len(PREFIX):] or "/", query, body if isinstance(body, dict) else {}, f"{scheme}://{host}",
                              frozenset(arrays))
            key = self._authenticate(request, environ, headers)
            status, payload = self._dispatch(request, key, headers)
            with self._lock:
                lost = next((n for n, (m, r) in enumerate(self._lost) if m == method and re.fullmatch(r, request.route)), None)
                if lost is not None:
                    del self._lost[lost]
            if lost is not None:
                raise WooError(500, "internal_server_error", "<p>There has been a critical error on this website.</p>")
        except WooError as error:
            status, payload = error.status, error.body()
        start_response(f"{status} {_REASONS.get(status, 'Error')}", headers)
        return [json.dumps(payload, ensure_ascii=False).encode()]

    # -- authentication ---------------------------------------------------------------------------

    def _authenticate(self, request: Request, environ: dict[str, Any], headers: list[tuple[str, str]]) -> ApiKey | None:
        """The API key the request proves, None for an anonymous request, or a WooError."""
        if request.base.startswith("https://"):
            ck, cs = request.one("consumer_key"), request.one("consumer_secret")
            auth = environ.get("HTTP_AUTHORIZATION", "")
            if not (ck and cs) and auth.startswith("Basic "):
                ck, _, cs = base64.b64decode(auth[6:]).decode("utf-8", "replace").partition(":")
            key = self.keys.get(ck or "")
            if key is not None and cs:
                if not hmac.compare_digest(key.secret, cs):
                    headers.append(("WWW-Authenticate", 'Basic realm="WooCommerce API. Use a consumer key in the username field and a consumer secret in the password field."'))
                    raise WooError(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
                return key
        return self._oauth(request, environ)

    def _oauth(self, request: Request, environ: dict[str, Any]) -> ApiKey | None:
        params = {k: v[-1] for k, v in request.query.items()}
        header = environ.get("HTTP_AUTHORIZATION", "").strip()
        if header.startswith("OAuth "):
            params |= {k: unquote(a or b) for k, a, b in re.findall(r'(oauth_[a-z_-]*)=(?:"([^"]*)"|([^,]*))', header)}
        missing = [name for name in AUTH_PARAMS if not params.get(name)]
        if len(missing) == len(AUTH_PARAMS):
            return None
        if missing:
            noun = "parameter" if len(missing) == 1 else "parameters"
            raise WooError(401, "woocommerce_rest_authentication_missing_parameter", f"Missing OAuth {noun} {', '.join(missing)}")
        key = self.keys.get(params["oauth_consumer_key"])
        if key is None:
            raise WooError(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
        given = params.pop("oauth_signature").replace(" ", "+")
        method = params["oauth_signature_method"]
        pairs = [f"{_rfc3986(k)}={_rfc3986(v)}" for k, v in sorted(params.items())]
        base = f"{request.method}&{_rfc3986(request.base + PREFIX + request.route)}&{_rfc3986('&'.join(pairs))}"
        if method not in ("HMAC-SHA1", "HMAC-SHA256"):
            raise WooError(401, "woocommerce_rest_authentication_error", "Invalid signature - signature method is invalid.")
        digest = hashlib.sha1 if method == "HMAC-SHA1" else hashlib.sha256
        expected = base64.b64encode(hmac.new(f"{key.secret}&".encode(), base.encode(), digest).digest()).decode()
        if not hmac.compare_digest(expected, given):
            raise WooError(401, "woocommerce_rest_authentication_error", "Invalid signature - provided signature does not match.")
        now, stamp = int(self.clock()), int(params["oauth_timestamp"]) if params["oauth_timestamp"].isdigit() else 0
        if not now - NONCE_WINDOW <= stamp <= now + NONCE_WINDOW:
            raise WooError(401, "woocommerce_rest_authentication_error", "Invalid timestamp.")
        key.nonces = {n: t for n, t in key.nonces.items() if t >= now - NONCE_WINDOW}
        if params["oauth_nonce"] in key.nonces:
            raise WooError(401, "woocommerce_rest_authentication_error", "Invalid nonce - nonce has already been used.")
        key.nonces[params["oauth_nonce"]] = stamp
        return key

    # -- routing ----------------------------------------------------------------------------------

    def _dispatch(self, request: Request, key: ApiKey | None, headers: list[tuple[str, str]]) -> tuple[int, Any]:
        route, method = request.route.rstrip("/") or "/", request.method
        write = method in ("POST", "PUT", "PATCH", "DELETE")
        for pattern, methods, handler, action in self._routes():
            match = re.fullmatch(pattern, route)
            if match and method in methods:
                break
        else:
            raise WooError(404, "rest_no_route", "No route was found matching the URL and request method.")
        if action and key is None:
            raise WooError(401, f"woocommerce_rest_cannot_{action}", _REFUSALS[action])
        if key is not None and write and key.permissions not in ("write", "read_write"):
            raise WooError(401, "woocommerce_rest_authentication_error", "The API key provided does not have write permissions.")
        if key is not None and not write and key.permissions not in ("read", "read_write"):
            raise WooError(401, "woocommerce_rest_authentication_error", "The API key provided does not have read permissions.")
        return handler(request, headers, *(int(g) for g in match.groups()))

    def _routes(self) -> list[tuple[str, tuple[str, ...], Callable[..., tuple[int, Any]], str | None]]:
        edit = ("POST", "PUT", "PATCH")
        return [
            (r"/", ("GET",), self._index, None),
            (r"/system_status", ("GET",), self._system_status, "view"),
            (r"/orders", ("GET",), self._list_orders, "view"),
            (r"/orders/batch", edit, self._batch_orders, "batch"),
            (r"/orders/(\d+)", ("GET",), lambda r, h, oid: (200, self._order(oid, 404)), "view"),
            (r"/orders/(\d+)", edit, lambda r, h, oid: (200, self._update_order(oid, r.body)), "edit"),
            (r"/orders/(\d+)/notes", ("GET",), self._list_notes, "view"),
            (r"/orders/(\d+)/notes", ("POST",), self._add_note, "create"),
            (r"/products", ("GET",), self._list_products, "view"),
            (r"/products", ("POST",), lambda r, h: (201, self._save_product(None, r.body)), "create"),
            (r"/products/batch", edit, self._batch_products, "batch"),
            (r"/products/(\d+)", ("GET",), lambda r, h, pid: (200, self._get_product(pid, 404)), "view"),
            (r"/products/(\d+)", edit, lambda r, h, pid: (200, self._save_product(pid, r.body)), "edit"),
            (r"/products/(\d+)/variations", ("GET",), self._list_variations, "view"),
            (r"/products/(\d+)/variations", ("POST",), lambda r, h, pid: (201, self._save_variation(pid, None, r.body)), "create"),
            (r"/products/(\d+)/variations/batch", edit, self._batch_variations, "batch"),
            (r"/products/(\d+)/variations/(\d+)", ("GET",), lambda r, h, pid, vid: (200, self._get_variation(pid, vid, 404)), "view"),
            (r"/products/(\d+)/variations/(\d+)", edit, lambda r, h, pid, vid: (200, self._save_variation(pid, vid, r.body)), "edit"),
        ]

    def _index(self, request: Request, headers: list[tuple[str, str]]) -> tuple[int, Any]:
        routes = {PREFIX.removeprefix("/wp-json") + p.replace(r"(\d+)", "(?P<id>[\\d]+)"): {} for p, *_ in self._routes()}
        return 200, {"namespace": "wc/v3", "routes": routes}

    def _system_status(self, request: Request, headers: list[tuple[str, str]]) -> tuple[int, Any]:
        return 200, {
            "environment": {
                "home_url": request.base, "site_url": request.base, "version": "9.6.1", "wp_version": "6.7.1",
                "wp_multisite": False, "language": "en_US", "default_timezone": "UTC", "php_version": "8.2.26",
            },
            "database": {"wc_database_version": "9.6.1", "database_prefix": "wp_"},
            "active_plugins": [{"plugin": "woocommerce/woocommerce.php", "name": "WooCommerce", "version": "9.6.1"}],
            "settings": {
                "api_enabled": True, "force_ssl": False, "currency": "USD", "currency_symbol": "&#36;",
                "thousand_separator": ",", "decimal_separator": ".", "number_of_decimals": 2,
            },
            "security": {"secure_connection": request.base.startswith("https://"), "hide_errors": True},
            "pages": [],
        }

    # -- collections --------------------------------------------------------------------------------

    def _collection(self, request: Request, headers: list[tuple[str, str]], items: list[dict[str, Any]], orderby: set[str]) -> tuple[int, Any]:
        """Filter by date and ids, sort, page; set X-WP-Total, X-WP-TotalPages and Link."""
        page, per_page = _integer(request, "page", 1, 1), _integer(request, "per_page", 10, 1, 100)
        offset = _integer(request, "offset", None, 0)
        order = _choice(request, "order", "desc", {"asc", "desc"})
        key = _choice(request, "orderby", "date", orderby)
        gmt = (request.one("dates_are_gmt") or "").lower() in ("1", "true")
        for param, fld, after in (("after", "date_created", True), ("before", "date_created", False),
                                  ("modified_after", "date_modified", True), ("modified_before", "date_modified", False)):
            bound = _date(request, param, gmt)
            if bound is not None:
                column = f"{fld}_gmt" if gmt else fld
                items = [i for i in items if i.get(column, i.get(fld)) and ((i.get(column, i.get(fld)) > bound) if after else (i.get(column, i.get(fld)) < bound))]
        include, exclude = _ids(request, "include"), _ids(request, "exclude")
        items = [i for i in items if (include is None or i["id"] in include) and i["id"] not in (exclude or [])]
        sort = {"date": "date_created_gmt", "modified": "date_modified_gmt", "id": "id", "title": "name", "slug": "name"}
        if key == "include" and include:
            items.sort(key=lambda i: include.index(i["id"]))
        else:
            column = sort.get(key, "id")
            items.sort(key=lambda i: (i.get(column) or i.get(column.removesuffix("_gmt")) or "", i["id"]), reverse=order == "desc")
        total = len(items)
        pages = math.ceil(total / per_page)
        start = offset if offset is not None else (page - 1) * per_page
        headers += [("X-WP-Total", str(total)), ("X-WP-TotalPages", str(pages))]
        # One value per key, the last, as PHP reads a query string; ``name[]`` arrays keep them all.
        kept = [(f"{k}[]", v) if k in request.arrays else (k, v) for k, vs in request.query.items()
                for v in (vs if k in request.arrays else vs[-1:]) if k not in AUTH_PARAMS and not k.startswith("consumer_")]
        links = []
        for rel, target in (("prev", page - 1), ("next", page + 1)):
            if (rel == "prev" and page > 1) or (rel == "next" and page < pages):
                url = f"{request.base}{PREFIX}{request.route}?{urlencode([*[(k, v) for k, v in kept if k != 'page'], ('page', target)])}"
                links.append(f'<{url}>; rel="{rel}"')
        if links:
            headers.append(("Link", ", ".join(links)))
        return 200, [_copy(item) for item in items[start : start + per_page]]

    def _list_orders(self, request: Request, headers: list[tuple[str, str]]) -> tuple[int, Any]:
        wanted = request.many("status") or ["any"]
        allowed = {"any", "trash", "auto-draft", *self.statuses}
        bad = [s for s in wanted if s not in allowed]
        if bad:
            raise invalid_params(status=f"status[{wanted.index(bad[0])}] is not one of {', '.join(sorted(allowed))}.")
        if "any" in wanted:  # WooCommerce stops at "any", which leaves trash out whatever else is listed
            orders = [o for o in self.orders.values() if o["status"] != "trash"]
        else:
            orders = [o for o in self.orders.values() if o["status"] in wanted]
        customer = _integer(request, "customer", None, 0)
        orders = [o for o in orders if customer is None or o["customer_id"] == customer]
        answer = self._collection(request, headers, orders, {"date", "id", "include", "title", "slug", "modified"})
        self._listings += 1
        for due, change in [c for c in self._listing_changes if c[0] == self._listings]:
            self._listing_changes.remove((due, change))
            change()
        return answer

    def _list_products(self, request: Request, headers: list[tuple[str, str]]) -> tuple[int, Any]:
        products = [self._product_view(p) for p in self.products.values()]
        skus = request.one("sku")
        if skus:  # WooCommerce searches variations too, and the whole string as one SKU as well
            wanted = set(skus.split(",")) | {skus}
            products += [self._variation_as_product(v) for v in self.variations.values()]
            products = [p for p in products if p["sku"] in wanted]
        status = _choice(request, "status", "any", {"any", *PRODUCT_STATUSES, "trash"})
        kind = _choice(request, "type", None, {"simple", "grouped", "external", "variable"})
        products = [p for p in products if (status == "any" or p["status"] == status) and (kind is None or p["type"] == kind)]
        orderby = {"date", "id", "include", "title", "slug", "modified", "price", "popularity", "rating", "menu_order"}
        return self._collection(request, headers, products, orderby)

    def _list_variations(self, request: Request, headers: list[tuple[str, str]], pid: int) -> tuple[int, Any]:
        self._get_product(pid, 404)
        variations = [_variation_view(v) for v in self.variations.values() if v["parent_id"] == pid]
        sku = request.one("sku")
        variations = [v for v in variations if not sku or v["sku"] == sku]
        return self._collection(request, headers, variations, {"date", "id", "include", "title", "slug", "modified", "menu_order"})

    def _list_notes(self, request: Request, headers: list[tuple[str, str]], oid: int) -> tuple[int, Any]:
        self._order(oid, 404, code="woocommerce_rest_order_invalid_id", message="Invalid order ID.")
        kind = _choice(request, "type", "any", {"any", "customer", "internal"})
        notes = [n for n in self.notes[oid] if kind == "any" or n["customer_note"] == (kind == "customer")]
        return 200, sorted((dict(n) for n in notes), key=lambda n: -n["id"])

    # -- orders ---------------------------------------------------------------------------------

    def _order(self, oid: int, status: int, *, code: str = "woocommerce_rest_shop_order_invalid_id", message: str = "Invalid ID.") -> dict[str, Any]:
        order = self.orders.get(oid)
        if order is None or order["status"] == "auto-draft":
            raise WooError(status, code, message)
        return _copy(order)

    def _update_order(self, oid: int, body: dict[str, Any]) -> dict[str, Any]:
        order = self.orders.get(oid)
        if order is None:
            raise WooError(400, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        status = body.get("status")
        if status is not None and status not in self.statuses:
            raise invalid_params(status=f"status is not one of {', '.join(self.statuses)}.")
        for name in ("customer_note", "transaction_id", "payment_method", "payment_method_title"):
            if isinstance(body.get(name), str):
                order[name] = body[name]
        if status is not None and status != order["status"]:
            self._note(oid, f"Order status changed from {_label(order['status'])} to {_label(status)}.", False)
            order["status"] = status
            if status == "completed":
                order.update(self._dates("date_completed"))
        order.update(self._dates("date_modified"))
        return _copy(order)

    def _add_note(self, request: Request, headers: list[tuple[str, str]], oid: int) -> tuple[int, Any]:
        self._order(oid, 404, code="woocommerce_rest_order_invalid_id", message="Invalid order ID.")
        note = request.body.get("note")
        if not note:
            raise WooError(400, "rest_missing_callback_param", "Missing parameter(s): note", params=["note"])
        return 201, self._note(oid, str(note), bool(request.body.get("customer_note")), author="WooCommerce")

    def _note(self, oid: int, text: str, customer: bool, author: str = "system") -> dict[str, Any]:
        note = {"id": self.next_id(), "author": author, **self._dates("date_created"), "note": text, "customer_note": customer}
        self.notes[oid].append(note)
        return dict(note)

    def _dates(self, field: str) -> dict[str, str]:
        now = self.now().replace(tzinfo=None)
        return {field: (now + self.utc_offset).isoformat(), f"{field}_gmt": now.isoformat()}

    # -- products and variations ------------------------------------------------------------------

    def _product(self, pid: int, fields: dict[str, Any]) -> dict[str, Any]:
        product = {
            "id": pid, "name": "", "slug": "", "permalink": f"/product/{pid}/", **self._dates("date_created"),
            **self._dates("date_modified"), "type": "simple", "status": "publish", "featured": False,
            "catalog_visibility": "visible", "description": "", "short_description": "", "sku": "", "price": "",
            "regular_price": "", "sale_price": "", "on_sale": False, "purchasable": True, "total_sales": 0,
            "virtual": False, "downloadable": False, "tax_status": "taxable", "tax_class": "", "manage_stock": False,
            "stock_quantity": None, "stock_status": "instock", "backorders": "no", "backorders_allowed": False,
            "backordered": False, "weight": "", "dimensions": {"length": "", "width": "", "height": ""},
            "shipping_required": True, "parent_id": 0, "categories": [], "tags": [], "images": [], "attributes": [],
            "default_attributes": [], "variations": [], "grouped_products": [], "menu_order": 0, "meta_data": [],
        }
        return self._apply_product_fields(product, fields)

    def _variation(self, vid: int, pid: int, fields: dict[str, Any]) -> dict[str, Any]:
        variation = {
            "id": vid, "parent_id": pid, **self._dates("date_created"), **self._dates("date_modified"),
            "description": "", "permalink": f"/product/{pid}/?variation={vid}", "sku": "", "price": "",
            "regular_price": "", "sale_price": "", "on_sale": False, "status": "publish", "purchasable": True,
            "virtual": False, "downloadable": False, "tax_status": "taxable", "tax_class": "", "manage_stock": False,
            "stock_quantity": None, "stock_status": "instock", "backorders": "no", "backorders_allowed": False,
            "backordered": False, "weight": "", "dimensions": {"length": "", "width": "", "height": ""},
            "attributes": [], "menu_order": 0, "meta_data": [],
        }
        return self._apply_product_fields(variation, fields)

    def _apply_product_fields(self, item: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
        """Apply request fields as ``prepare_object_for_database`` does: SKU unique, stock kept
        only while managed, price and stock status derived."""
        if "sku" in fields and fields["sku"] not in ("", None):
            owner = self._sku_owner(str(fields["sku"]))
            if owner is not None and owner != item["id"]:
                raise WooError(400, "product_invalid_sku", "Invalid or duplicated SKU.", resource_id=owner, unique_sku=fields["sku"])
        for name in ("name", "sku", "description", "short_description", "regular_price", "sale_price", "weight", "type"):
            if name in fields and fields[name] is not None:
                item[name] = str(fields[name])
        if "status" in fields:
            allowed = PRODUCT_STATUSES if "type" in item else ["draft", "pending", "private", "publish"]
            if fields["status"] not in allowed:
                raise invalid_params(status=f"status is not one of {', '.join(allowed)}.")
            item["status"] = fields["status"]
        if "attributes" in fields:
            item["attributes"] = fields["attributes"]
        if "manage_stock" in fields:
            item["manage_stock"] = bool(fields["manage_stock"])
        if item["manage_stock"] and fields.get("stock_quantity") is not None:
            quantity = fields["stock_quantity"]
            if isinstance(quantity, bool) or not isinstance(quantity, int):
                raise invalid_params(stock_quantity="stock_quantity is not of type integer.")
            item["stock_quantity"] = quantity
        if not item["manage_stock"]:
            item["stock_quantity"] = None
        elif item["stock_quantity"] is not None:
            item["stock_status"] = "instock" if item["stock_quantity"] > 0 else "outofstock"
        item["price"] = item["sale_price"] or item["regular_price"]
        item.update(self._dates("date_modified"))
        return item

    def _sku_owner(self, sku: str) -> int | None:
        for items in (self.products, self.variations):
            for item_id, item in items.items():
                if item["sku"] == sku:
                    return item_id
        return None

    def _product_view(self, product: dict[str, Any]) -> dict[str, Any]:
        view = _copy(product)
        if product["type"] == "variable":
            prices = [Decimal(self.variations[v]["price"]) for v in product["variations"] if self.variations[v]["price"]]
            view["price"] = f"{min(prices)}" if prices else ""
        return view

    def _variation_as_product(self, variation: dict[str, Any]) -> dict[str, Any]:
        """A variation as the products controller shows it (found by ``?sku=``)."""
        parent = self.products[variation["parent_id"]]
        options = ", ".join(a["option"] for a in variation["attributes"] if a.get("option"))
        view = self._product(variation["id"], {})
        view.update({k: _copy(v) for k, v in variation.items() if k in view})
        view.update({"type": "variation", "name": f"{parent['name']} - {options}" if options else parent["name"], "variations": []})
        return view

    def _get_product(self, pid: int, status: int) -> dict[str, Any]:
        if pid not in self.products:
            raise WooError(status, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return self._product_view(self.products[pid])

    def _save_product(self, pid: int | None, body: dict[str, Any]) -> dict[str, Any]:
        if pid is None:
            if body.get("type", "simple") not in ("simple", "variable", "grouped", "external"):
                raise invalid_params(type="type is not one of simple, grouped, external, variable.")
            product = self._product(self.next_id(), {"status": "publish", **body})
            self.products[product["id"]] = product
        elif pid in self.variations:
            return self._save_variation(self.variations[pid]["parent_id"], pid, body)
        elif pid not in self.products:
            raise WooError(400, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        else:
            product = self._apply_product_fields(self.products[pid], body)
        return self._product_view(product)

    def _get_variation(self, pid: int, vid: int, status: int) -> dict[str, Any]:
        variation = self.variations.get(vid)
        if variation is None or variation["parent_id"] != pid:
            raise WooError(status, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.")
        return _variation_view(variation)

    def _save_variation(self, pid: int, vid: int | None, body: dict[str, Any]) -> dict[str, Any]:
        parent = self.products.get(pid)
        if parent is None or parent["type"] != "variable":
            raise WooError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        if vid is None:
            variation = self._variation(self.next_id(), pid, body)
            self.variations[variation["id"]] = variation
            parent["variations"].append(variation["id"])
            return _variation_view(variation)
        self._get_variation(pid, vid, 400)
        return _variation_view(self._apply_product_fields(self.variations[vid], body))

    # -- batches -----------------------------------------------------------------------------------

    def _batch(self, body: dict[str, Any], create: Callable[[dict], Any], update: Callable[[int, dict], Any],
               delete: Callable[[int], Any]) -> tuple[int, Any]:
        actions = {k: v for k, v in body.items() if k in ("create", "update", "delete") and v}
        if sum(len(v) for v in actions.values() if isinstance(v, list)) > self.batch_limit:
            raise WooError(413, "woocommerce_rest_request_entity_too_large", f"Unable to accept more than {self.batch_limit} items for this request.")
        out: dict[str, list[Any]] = {}
        for action, items in actions.items():
            for item in items if isinstance(items, list) else []:
                item_id = item if action == "delete" else (item.get("id", 0) if isinstance(item, dict) else 0)
                try:
                    if action == "create":
                        answer = create(item)
                    elif action == "update":
                        answer = update(int(item_id), item)
                    else:
                        answer = delete(int(item_id))
                except (WooError, ValueError, TypeError) as exc:
                    error = exc if isinstance(exc, WooError) else WooError(400, "rest_invalid_param", str(exc))
                    answer = {"id": 0 if action == "create" else item_id, "error": {"code": error.code, "message": error.message, "data": {"status": error.status, **error.data}}}
                out.setdefault(action, []).append(answer)
        return 200, out if out else []

    def _batch_orders(self, request: Request, headers: list[tuple[str, str]]) -> tuple[int, Any]:
        def refuse_create(item: dict[str, Any]) -> Any:
            raise WooError(400, "woocommerce_rest_cannot_create", "Creating orders is not supported by this fake store.")

        def delete(oid: int) -> Any:
            order = self._order(oid, 400)
            del self.orders[oid]
            return order

        return self._batch(request.body, refuse_create, self._update_order, delete)

    def _batch_products(self, request: Request, headers: list[tuple[str, str]]) -> tuple[int, Any]:
        def delete(pid: int) -> Any:
            product = self._get_product(pid, 400)
            for vid in self.products.pop(pid)["variations"]:
                self.variations.pop(vid, None)
            return product

        return self._batch(request.body, lambda b: self._save_product(None, b), self._save_product, delete)

    def _batch_variations(self, request: Request, headers: list[tuple[str, str]], pid: int) -> tuple[int, Any]:
        def delete(vid: int) -> Any:
            variation = self._get_variation(pid, vid, 400)
            del self.variations[vid]
            self.products[pid]["variations"].remove(vid)
            return variation

        update = lambda vid, b: self._save_variation(pid, vid, b)  # noqa: E731
        return self._batch(request.body, lambda b: self._save_variation(pid, None, b), update, delete)


_REFUSALS = {
    "view": "Sorry, you cannot list resources.",
    "create": "Sorry, you are not allowed to create resources.",
    "edit": "Sorry, you are not allowed to edit this resource.",
    "batch": "Sorry, you are not allowed to batch manipulate this resource.",
}
_REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 413: "Payload Too Large"}


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _rfc3986(text: str) -> str:
    return quote(text, safe="-._~")


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _variation_view(variation: dict[str, Any]) -> dict[str, Any]:
    """A variation as the variations controller shows it: its dates in site time only (it keeps
    GMT ones for filtering)."""
    return {k: _copy(v) for k, v in variation.items() if k not in ("date_created_gmt", "date_modified_gmt")}


def _label(status: str) -> str:
    return {"pending": "Pending payment", "on-hold": "On hold"}.get(status, status.replace("-", " ").capitalize())


def _integer(request: Request, name: str, default: int | None, low: int, high: int | None = None) -> int | None:
    value = request.one(name)
    if value is None:
        return default
    if not re.fullmatch(r"-?\d+", value.strip()):
        raise invalid_params(**{name: f"{name} is not of type integer."})
    number = int(value)
    if number < low or (high is not None and number > high):
        reason = f"{name} must be between {low} (inclusive) and {high} (inclusive)" if high else f"{name} must be greater than or equal to {low}"
        raise WooError(400, "rest_invalid_param", f"Invalid parameter(s): {name}", params={name: reason},
                       details={name: {"code": "rest_out_of_bounds", "message": reason, "data": None}})
    return number


def _choice(request: Request, name: str, default: str | None, allowed: set[str]) -> str | None:
    value = request.one(name)
    if value is None:
        return default
    if value not in allowed:
        raise invalid_params(**{name: f"{name} is not one of {', '.join(sorted(allowed))}."})
    return value


def _date(request: Request, name: str, gmt: bool) -> str | None:
    """An ISO 8601 date parameter as a naive string comparable with WooCommerce's dates."""
    value = request.one(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_params(**{name: "Invalid date."}) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC) if gmt else moment
    return moment.replace(tzinfo=None).isoformat()


def _ids(request: Request, name: str) -> list[int] | None:
    values = request.many(name)
    if values is None:
        return None
    if not all(v.isdigit() for v in values):
        raise invalid_params(**{name: f"{name}[0] is not of type integer."})
    return [int(v) for v in values]
