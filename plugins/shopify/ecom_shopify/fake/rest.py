"""The fake Shopify's REST Admin API for orders, answered from the same shop state as GraphQL.

Many clients (Shopify's own Python library, Singer and Airbyte connectors) still read orders over
REST, so the fake serves these paths for any quarterly API version (``/admin/api/YYYY-MM/``),
saying the version it used in ``X-Shopify-API-Version``:

- ``GET orders.json``, ``GET orders/count.json``, ``GET orders/{id}.json``,
  ``GET events.json`` and ``GET orders/{id}/events.json``
  (shopify.dev/docs/api/admin-rest/2025-07/resources/order and .../resources/event). Filters:
  ``ids``, ``since_id``, ``status`` (``open``, the default, ``closed``, ``cancelled``, ``any``),
  ``created_at_min/max``, ``updated_at_min/max``, ``processed_at_min/max`` (inclusive, ISO 8601;
  a time without an offset is read in the shop's time zone), ``financial_status``,
  ``fulfillment_status``, ``fields`` and ``order`` (``"updated_at asc"``...). ``limit`` defaults
  to 50; above 250 is served as 250. Only the last 60 days of orders are visible without
  ``read_all_orders``, as on the GraphQL side.
- Cursor paging (shopify.dev/docs/api/admin-rest/usage/pagination): a ``Link`` header with
  ``rel="next"`` / ``rel="previous"`` URLs carrying an opaque ``page_info`` and ``limit`` (and
  ``fields`` when asked), none when everything fits on one page. The filters of the first request
  travel inside ``page_info``; a request with ``page_info`` may carry only ``limit`` and
  ``fields``, any other parameter is a 400 ``{"errors": {"<p>": "<p> cannot be passed when
  page_info is present."}}`` (the message as reported on community.shopify.com, thread
  "order-list-with-rest-api-get-api"). A ``page_info`` that is not one of ours is a 400 too.
- The REST leaky bucket (shopify.dev/docs/api/admin-rest/usage/rate-limits): each request costs
  one, the bucket holds 40 and leaks 2 per second (the Standard plan; both are constructor
  arguments of :class:`RestApi`). Every answer carries ``X-Shopify-Shop-Api-Call-Limit:
  used/size``; a request that finds the bucket full gets 429 with ``Retry-After`` (seconds, e.g.
  ``1.0``) and ``{"errors": "Exceeded 2 calls per second for api client. Reduce request rates to
  resume uninterrupted service."}``.
- Errors in REST's shape: 401 for a bad token (the GraphQL side's body), 403 ``[API] This action
  requires merchant approval for read_orders scope.`` without the scope, 404 ``{"errors": "Not
  Found"}``, 400 ``{"errors": {"<param>": "..."}}`` for a bad parameter.

Order JSON follows the REST 2025-07 field names (``id``, ``admin_graphql_api_id``, ``name``,
``order_number``, money as decimal strings with ``*_set`` twins, ``financial_status``,
``fulfillment_status``, ``tags`` as one comma-separated string, ``line_items``,
``shipping_lines``, addresses, ``customer``, ``fulfillments``), built on each request from the
GraphQL side's objects, so both views of an order always agree. Events are derived from the
orders' own dates (``placed``, ``closed``, ``cancelled``, ``fulfillment_success``); the fake never
deletes orders, so it has no ``destroy`` events.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from ecom_shopify.fake.cost import Bucket

if TYPE_CHECKING:
    from ecom_shopify.fake import ShopifyFake

Json = dict[str, Any]
PATH = re.compile(r"^/admin/api/(?P<version>\d{4}-(?:01|04|07|10))/(?P<rest>orders\.json|orders/count\.json|"
                  r"orders/(?P<order>\d+)\.json|orders/(?P<events_of>\d+)/events\.json|events\.json|events/count\.json)$")
MAX_LIMIT, DEFAULT_LIMIT = 250, 50
PAGE_PARAMS = {"page_info", "limit", "fields"}
ORDER_FILTERS = {"ids", "since_id", "status", "financial_status", "fulfillment_status", "created_at_min", "created_at_max",
                 "updated_at_min", "updated_at_max", "processed_at_min", "processed_at_max", "order", "name"}
EVENT_FILTERS = {"since_id", "filter", "verb", "created_at_min", "created_at_max", "order"}
THROTTLED = "Exceeded {rate:g} calls per second for api client. Reduce request rates to resume uninterrupted service."
FINANCIAL = {"EXPIRED": "voided"}  # REST's financial_status has no "expired"; an expired authorisation took no money
FULFILLMENT = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial", "RESTOCKED": "restocked"}
COUNTRIES = {"US": "United States", "CA": "Canada", "GB": "United Kingdom", "DE": "Germany", "JP": "Japan", "MX": "Mexico"}
GRAMS = {"KILOGRAMS": 1000.0, "GRAMS": 1.0, "POUNDS": 453.59237, "OUNCES": 28.349523125}
#: Order event verbs, from the order's own dates: (verb, the order's date field, message).
EVENT_VERBS = [("placed", "createdAt", "Order was placed."), ("fulfillment_success", "_fulfilledAt", "Order was fulfilled."),
               ("closed", "closedAt", "Order was archived."), ("cancelled", "cancelledAt", "Order was cancelled.")]


class RestError(Exception):
    def __init__(self, status: str, errors: Any) -> None:
        super().__init__(status)
        self.status, self.errors = status, errors


def serves(path: str) -> bool:
    """Whether ``path`` is one of the REST paths this module answers."""
    return PATH.match(path) is not None


class RestApi:
    """The REST side of one fake shop: its own leaky bucket of requests, the shop's orders."""

    def __init__(self, fake: ShopifyFake, *, bucket: int = 40, leak_rate: float = 2.0,
                 clock: Callable[[], float] | None = None) -> None:
        self.fake = fake
        self.bucket = Bucket(bucket, leak_rate, clock or fake.bucket.clock)

    # -- HTTP ---------------------------------------------------------------------------------

    def __call__(self, environ: Json, start_response: Any) -> Iterable[bytes]:
        match = PATH.match(environ.get("PATH_INFO", ""))
        assert match is not None, "mount RestApi behind rest.serves()"
        headers = [("Content-Type", "application/json; charset=utf-8"), ("X-Shopify-API-Version", match["version"])]
        if environ["REQUEST_METHOD"] != "GET":
            return _answer(start_response, "404 Not Found", headers, {"errors": "Not Found"})
        if environ.get("HTTP_X_SHOPIFY_ACCESS_TOKEN") != self.fake.token:
            from ecom_shopify.fake import INVALID_TOKEN
            headers.append(("WWW-Authenticate", 'Basic Realm="Shopify API Authentication"'))
            return _answer(start_response, "401 Unauthorized", headers, {"errors": INVALID_TOKEN})
        if not self.bucket.take(1):
            wait = max(0.1, (1 - self.bucket.available) / self.bucket.restore_rate)
            headers += [self._call_limit(), ("Retry-After", f"{math.ceil(wait * 10) / 10:.1f}")]
            return _answer(start_response, "429 Too Many Requests", headers, {"errors": THROTTLED.format(rate=self.bucket.restore_rate)})
        headers.append(self._call_limit())
        scopes = self.fake.scopes
        if "read_orders" not in scopes and "write_orders" not in scopes:
            return _answer(start_response, "403 Forbidden", headers,
                           {"errors": "[API] This action requires merchant approval for read_orders scope."})
        query: dict[str, str] = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        base = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST') or environ.get('SERVER_NAME')}"
        url = f"{base}/admin/api/{match['version']}/{match['rest']}"
        try:
            if match["order"]:
                order = self._orders_by_id().get(int(match["order"]))
                if order is None:
                    raise RestError("404 Not Found", "Not Found")
                body: Json = {"order": _only(self.order_json(order), query.get("fields"))}
            elif match["rest"] == "orders/count.json":
                body = {"count": len(self._orders(query))}
            elif match["rest"] == "events/count.json":
                body = {"count": len(self._events(query, None))}
            elif match["rest"] == "orders.json":
                body = {"orders": self._page(query, url, headers, ORDER_FILTERS, self._orders, self.order_json)}
            else:
                owner = int(match["events_of"]) if match["events_of"] else None
                if owner is not None and owner not in self._orders_by_id():
                    raise RestError("404 Not Found", "Not Found")
                body = {"events": self._page(query, url, headers, EVENT_FILTERS, lambda q: self._events(q, owner), lambda e: e)}
        except RestError as error:
            return _answer(start_response, error.status, headers, {"errors": error.errors})
        return _answer(start_response, "200 OK", headers, body)

    def _call_limit(self) -> tuple[str, str]:
        used = min(self.bucket.maximum, max(0, math.ceil(self.bucket.maximum - self.bucket.available - 1e-6)))
        return ("X-Shopify-Shop-Api-Call-Limit", f"{used:.0f}/{self.bucket.maximum:.0f}")

    # -- listing and paging ---------------------------------------------------------------------

    def _page(self, query: dict[str, str], url: str, headers: list[tuple[str, str]], filters: set[str],
              find: Callable[[dict[str, str]], list[Json]], render: Callable[[Json], Json]) -> list[Json]:
        limit = _limit(query)
        if "page_info" in query:
            extra = sorted(set(query) - PAGE_PARAMS)
            if extra:
                raise RestError("400 Bad Request", {p: f"{p} cannot be passed when page_info is present." for p in extra})
            cursor = _read_cursor(query["page_info"])
            bound, direction, mark = cursor["filters"], cursor["direction"], tuple(cursor["mark"])
        else:
            bound, direction, mark = {k: v for k, v in query.items() if k in filters}, "next", None
        items = [(k, it) for k, it in ((self._key(bound, it), it) for it in find(bound))]
        descending = _sort(bound)[1] == "desc"
        items.sort(key=lambda pair: pair[0], reverse=descending)
        if mark is not None and direction == "next":
            items = [(k, it) for k, it in items if (k < mark if descending else k > mark)]
            window = items[:limit]
            has_before, has_after = True, len(items) > limit
        elif mark is not None:
            items = [(k, it) for k, it in items if (k > mark if descending else k < mark)]
            window = items[-limit:]
            has_before, has_after = len(items) > limit, True
        else:
            window = items[:limit]
            has_before, has_after = False, len(items) > limit
        links = []
        extra = [("fields", query["fields"])] if query.get("fields") else []
        for rel, wanted, edge in (("previous", has_before, 0), ("next", has_after, -1)):
            if wanted and window:
                token = _write_cursor({"filters": bound, "direction": rel.replace("previous", "prev"), "mark": list(window[edge][0])})
                links.append(f'<{url}?{urlencode([("limit", str(limit)), *extra, ("page_info", token)])}>; rel="{rel}"')
        if links:
            headers.append(("Link", ", ".join(links)))
        return [_only(render(it), query.get("fields")) for _, it in window]

    @staticmethod
    def _key(bound: dict[str, str], item: Json) -> tuple[Any, ...]:
        column = _sort(bound)[0]
        raw = "__typename" in item  # an order as the shop holds it, or an event already in REST's shape
        number = int(item["legacyResourceId"]) if raw else item["id"]
        value = number if column == "id" else _instant(item.get(_camel(column) if raw else column))
        return (value.timestamp() if isinstance(value, datetime) else (value if value is not None else 0), number)

    def _orders_by_id(self) -> dict[int, Json]:
        store, now = self.fake.store, datetime.now(UTC)
        orders = store.all("Order")
        if "read_all_orders" not in self.fake.scopes:
            orders = [o for o in orders if (_instant(o["createdAt"]) or now) >= now - timedelta(days=60)]
        return {int(o["legacyResourceId"]): o for o in orders}

    def _orders(self, bound: dict[str, str]) -> list[Json]:
        status = bound.get("status", "open")
        if status not in ("open", "closed", "cancelled", "any"):
            raise RestError("400 Bad Request", {"status": f"status is not one of open, closed, cancelled, any: {status!r}"})
        ids = _id_list(bound.get("ids"), "ids")
        since = _id_list(bound.get("since_id"), "since_id")
        zone = self.fake.store.shop["ianaTimezone"]
        ranges = {f: (_bound(bound, f"{f}_min", zone), _bound(bound, f"{f}_max", zone)) for f in ("created_at", "updated_at", "processed_at")}
        financial, fulfilled = bound.get("financial_status", "any"), bound.get("fulfillment_status", "any")
        found = []
        for number, order in self._orders_by_id().items():
            state = "cancelled" if order["cancelledAt"] else "closed" if order["closed"] else "open"
            if status != "any" and status != state:
                continue
            if (ids is not None and number not in ids) or (since and number <= since[0]):
                continue
            if bound.get("name") and order["name"].lstrip("#") != bound["name"].lstrip("#"):
                continue
            money = FINANCIAL.get(order["displayFinancialStatus"], order["displayFinancialStatus"].lower())
            if financial not in ("any", money) and not (financial == "unpaid" and money in ("authorized", "partially_paid")):
                continue
            shipped = FULFILLMENT.get(order["displayFulfillmentStatus"])
            if fulfilled not in ("any", {"fulfilled": "shipped"}.get(shipped or "", "unshipped" if shipped is None else shipped)) \
                    and not (fulfilled == "unfulfilled" and shipped in (None, "partial")):
                continue
            if any(not _within(_instant(order[_camel(f)]), low, high) for f, (low, high) in ranges.items()):
                continue
            found.append(order)
        return found

    def _events(self, bound: dict[str, str], owner: int | None) -> list[Json]:
        if bound.get("filter") and bound["filter"].lower() not in ("order", "orders"):
            return []  # the fake holds events of orders only
        since = _id_list(bound.get("since_id"), "since_id")
        zone = self.fake.store.shop["ianaTimezone"]
        low, high = _bound(bound, "created_at_min", zone), _bound(bound, "created_at_max", zone)
        verbs = set(bound["verb"].split(",")) if bound.get("verb") else None
        events = []
        for number, order in sorted(self._orders_by_id().items()):
            if owner is not None and number != owner:
                continue
            fulfilled = min((f["createdAt"] for f in order["fulfillments"]), default=None)
            for index, (verb, field, message) in enumerate(EVENT_VERBS):
                stamp = fulfilled if field == "_fulfilledAt" else order.get(field)
                if not stamp or (verbs is not None and verb not in verbs):
                    continue
                event_id = number * 10 + index + 1
                if (since and event_id <= since[0]) or not _within(_instant(stamp), low, high):
                    continue
                events.append({"id": event_id, "subject_id": number, "created_at": self._local(stamp), "subject_type": "Order",
                               "verb": verb, "arguments": [order["name"]], "body": None, "message": message,
                               "author": "Shopify", "description": message, "path": f"/admin/orders/{number}"})
        return events

    # -- order JSON ---------------------------------------------------------------------------

    def _local(self, stamp: str | None) -> str | None:
        moment = _instant(stamp)
        if moment is None:
            return None
        return moment.astimezone(ZoneInfo(self.fake.store.shop["ianaTimezone"])).isoformat()

    def order_json(self, order: Json) -> Json:
        """The order as REST 2025-07 shows it, from the GraphQL side's object."""
        number = int(order["legacyResourceId"])
        currency = order["currencyCode"]
        lines = order["lineItems"]
        line_total = sum(float(_amount(li["originalUnitPriceSet"])) * li["quantity"] for li in lines)
        outstanding = "0.00" if order["displayFinancialStatus"] in ("PAID", "REFUNDED", "PARTIALLY_REFUNDED", "VOIDED", "EXPIRED") \
            else _amount(order["totalPriceSet"])
        codes = [{"code": code, "amount": _amount(order["totalDiscountsSet"]), "type": "percentage"} for code in order["discountCodes"]]
        out: Json = {
            "id": number, "admin_graphql_api_id": order["id"], "name": order["name"],
            "order_number": int(order["name"].lstrip("#")), "number": int(order["name"].lstrip("#")) - 1000,
            "email": order["email"], "contact_email": order["email"], "phone": order["phone"],
            "created_at": self._local(order["createdAt"]), "updated_at": self._local(order["updatedAt"]),
            "processed_at": self._local(order["processedAt"]), "cancelled_at": self._local(order["cancelledAt"]),
            "cancel_reason": (order["cancelReason"] or "").lower() or None, "closed_at": self._local(order["closedAt"]),
            "confirmed": order["confirmed"], "test": order["test"], "currency": currency, "presentment_currency": currency,
            "taxes_included": order["taxesIncluded"], "tax_exempt": order["taxExempt"], "estimated_taxes": False,
            "financial_status": FINANCIAL.get(order["displayFinancialStatus"], order["displayFinancialStatus"].lower()),
            "fulfillment_status": FULFILLMENT.get(order["displayFulfillmentStatus"]),
            "source_name": order["sourceName"], "payment_gateway_names": list(order["paymentGatewayNames"]),
            "tags": ", ".join(order["tags"]), "note": order["note"], "note_attributes": [], "discount_codes": codes,
            "total_weight": round(sum(_grams(li) * li["quantity"] for li in lines)),
            "tax_lines": [_tax_line(t) for t in order["taxLines"]], "location_id": None, "app_id": None,
            "billing_address": _address(order["billingAddress"]), "shipping_address": _address(order["shippingAddress"]),
            "customer": self._customer(order["customer"], currency),
            "line_items": [_line_item(li) for li in lines],
            "shipping_lines": [_shipping_line(s) for s in order["shippingLines"]],
            "fulfillments": [self._fulfillment(f, number) for f in order["fulfillments"]], "refunds": [],
        }
        for name, money in (("total_price", order["totalPriceSet"]), ("subtotal_price", order["subtotalPriceSet"]),
                            ("total_tax", order["totalTaxSet"]), ("total_discounts", order["totalDiscountsSet"]),
                            ("total_shipping_price", order["totalShippingPriceSet"]),
                            ("total_line_items_price", _bag(f"{line_total:.2f}", currency))):
            key = name if name != "total_shipping_price" else None
            if key:
                out[key] = _amount(money)
            out[f"{name}_set"] = _money_set(money)
            if name in ("total_price", "subtotal_price", "total_tax", "total_discounts"):
                out[f"current_{name}"], out[f"current_{name}_set"] = _amount(money), _money_set(money)
        out["total_outstanding"] = outstanding
        return out

    def _customer(self, customer: Json | None, currency: str) -> Json | None:
        if customer is None:
            return None
        phone = (customer.get("defaultPhoneNumber") or {}).get("phoneNumber")
        return {"id": int(customer["legacyResourceId"]), "admin_graphql_api_id": customer["id"],
                "email": (customer.get("defaultEmailAddress") or {}).get("emailAddress"), "first_name": customer["firstName"],
                "last_name": customer["lastName"], "phone": phone, "state": customer["state"].lower(),
                "tags": ", ".join(customer["tags"]), "note": customer["note"], "currency": currency,
                "tax_exempt": customer["taxExempt"], "verified_email": True, "created_at": self._local(customer["createdAt"]),
                "updated_at": self._local(customer["updatedAt"])}

    def _fulfillment(self, fulfillment: Json, order_id: int) -> Json:
        numbers = [t["number"] for t in fulfillment["trackingInfo"]]
        urls = [t["url"] for t in fulfillment["trackingInfo"] if t.get("url")]
        return {"id": int(fulfillment["legacyResourceId"]), "admin_graphql_api_id": fulfillment["id"], "order_id": order_id,
                "name": fulfillment["name"], "status": fulfillment["status"].lower(),
                "created_at": self._local(fulfillment["createdAt"]), "updated_at": self._local(fulfillment["updatedAt"]),
                "tracking_company": next((t["company"] for t in fulfillment["trackingInfo"]), None),
                "tracking_number": numbers[0] if numbers else None, "tracking_numbers": numbers,
                "tracking_url": urls[0] if urls else None, "tracking_urls": urls,
                "location_id": int(fulfillment["location"]["legacyResourceId"]) if fulfillment.get("location") else None,
                "line_items": [_line_item(f["lineItem"]) | {"quantity": f["quantity"]} for f in fulfillment["fulfillmentLineItems"]]}


# -- helpers ----------------------------------------------------------------------------------------


def _answer(start_response: Any, status: str, headers: list[tuple[str, str]], body: Any) -> list[bytes]:
    start_response(status, headers)
    return [json.dumps(body, ensure_ascii=False).encode()]


def _limit(query: dict[str, str]) -> int:
    text = query.get("limit", str(DEFAULT_LIMIT))
    if not text.isdigit() or int(text) < 1:
        raise RestError("400 Bad Request", {"limit": f"limit must be a whole number from 1 to {MAX_LIMIT}, not {text!r}"})
    return min(int(text), MAX_LIMIT)


def _sort(bound: dict[str, str]) -> tuple[str, str]:
    text = bound.get("order") or ("id asc" if bound.get("since_id") else "id desc")
    column, _, direction = text.replace("+", " ").strip().partition(" ")
    direction = (direction.strip() or "desc").lower()
    if column not in ("id", "created_at", "updated_at", "processed_at") or direction not in ("asc", "desc"):
        raise RestError("400 Bad Request", {"order": f"order must be a field and asc or desc, e.g. 'updated_at asc', not {text!r}"})
    return column, direction


def _write_cursor(data: Json) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _read_cursor(token: str) -> Json:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        filters, mark = data["filters"], data["mark"]
        if (isinstance(filters, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in filters.items())
                and data["direction"] in ("next", "prev") and isinstance(mark, list) and len(mark) == 2
                and all(isinstance(m, (int, float)) and not isinstance(m, bool) for m in mark)):
            return data
    except (ValueError, binascii.Error, TypeError, KeyError):
        pass
    raise RestError("400 Bad Request", {"page_info": "Invalid value."})


def _id_list(text: str | None, name: str) -> list[int] | None:
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not all(p.isdigit() for p in parts):
        raise RestError("400 Bad Request", {name: f"{name} must be ids (whole numbers, comma-separated), not {text!r}"})
    return [int(p) for p in parts]


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _bound(query: dict[str, str], name: str, zone: str = "UTC") -> datetime | None:
    """The time ``query[name]`` names; without an offset it is read in the shop's time ``zone``."""
    text = query.get(name)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "+").replace("Z", "+00:00"))
    except ValueError:
        raise RestError("400 Bad Request", {name: f"{name} must be an ISO 8601 time such as 2026-04-25T16:15:47-04:00, not {text!r}"}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


def _within(moment: datetime | None, low: datetime | None, high: datetime | None) -> bool:
    if low is None and high is None:
        return True
    return moment is not None and (low is None or moment >= low) and (high is None or moment <= high)


def _camel(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _only(item: Json, fields: str | None) -> Json:
    if not fields:
        return item
    wanted = {f.strip() for f in fields.split(",") if f.strip()}
    return {k: v for k, v in item.items() if k in wanted}


def _bag(amount: str, currency: str) -> Json:
    money = {"amount": amount, "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": dict(money)}


def _amount(money: Json) -> str:
    return str(money["shopMoney"]["amount"])


def _money_set(money: Json) -> Json:
    return {side: {"amount": str(money[key]["amount"]), "currency_code": money[key]["currencyCode"]}
            for side, key in (("shop_money", "shopMoney"), ("presentment_money", "presentmentMoney"))}


def _tax_line(tax: Json) -> Json:
    return {"title": tax["title"], "price": _amount(tax["priceSet"]), "rate": tax["rate"], "price_set": _money_set(tax["priceSet"]),
            "channel_liable": False}


def _grams(line: Json) -> float:
    weight = (((line.get("variant") or {}).get("inventoryItem") or {}).get("measurement") or {}).get("weight")
    return 0.0 if not weight else float(weight["value"]) * GRAMS.get(weight["unit"], 1.0)


def _line_item(line: Json) -> Json:
    variant, product = line.get("variant") or {}, line.get("product") or {}
    unfulfilled = line.get("unfulfilledQuantity", line["quantity"])
    return {
        "id": int(line["legacyResourceId"]), "admin_graphql_api_id": line["id"],
        "product_id": int(product["legacyResourceId"]) if product else None,
        "variant_id": int(variant["legacyResourceId"]) if variant else None, "sku": line["sku"], "title": line["title"],
        "variant_title": line["variantTitle"], "name": line["name"], "vendor": product.get("vendor"),
        "quantity": line["quantity"], "current_quantity": line["currentQuantity"], "fulfillable_quantity": unfulfilled,
        "fulfillment_status": None if unfulfilled == line["quantity"] else "fulfilled" if unfulfilled == 0 else "partial",
        "price": _amount(line["originalUnitPriceSet"]), "price_set": _money_set(line["originalUnitPriceSet"]),
        "total_discount": _amount(line["totalDiscountSet"]), "total_discount_set": _money_set(line["totalDiscountSet"]),
        "grams": round(_grams(line)), "requires_shipping": line["requiresShipping"], "taxable": line["taxable"],
        "gift_card": (line["sku"] or "").startswith("GIFT"), "properties": [], "duties": [],
        "tax_lines": [_tax_line(t) for t in line["taxLines"]],
        "discount_allocations": [{"amount": _amount(a["allocatedAmountSet"]), "amount_set": _money_set(a["allocatedAmountSet"]),
                                  "discount_application_index": a["discountApplication"]["index"]} for a in line["discountAllocations"]],
    }


def _shipping_line(line: Json) -> Json:
    return {"id": int(line["legacyResourceId"]), "title": line["title"], "code": line["code"], "source": line["source"],
            "price": _amount(line["originalPriceSet"]), "price_set": _money_set(line["originalPriceSet"]),
            "discounted_price": _amount(line["discountedPriceSet"]), "discounted_price_set": _money_set(line["discountedPriceSet"]),
            "carrier_identifier": line["carrierIdentifier"], "requested_fulfillment_service_id": None, "phone": None,
            "is_removed": False, "tax_lines": [_tax_line(t) for t in line["taxLines"]], "discount_allocations": []}


def _address(address: Json | None) -> Json | None:
    if address is None:
        return None
    code = address.get("countryCodeV2")
    return {"first_name": address["firstName"], "last_name": address["lastName"], "name": address["name"],
            "company": address["company"], "address1": address["address1"], "address2": address["address2"],
            "city": address["city"], "province": address["province"], "province_code": address["provinceCode"],
            "zip": address["zip"], "country": COUNTRIES.get(code or "", code), "country_code": code,
            "phone": address["phone"], "latitude": None, "longitude": None}
