"""Test Cart: the core's own driver, and the model a driver author copies.

Test Cart is an invented JSON REST cart; its API is documented in
:mod:`ecom.testing.testcart_fake`, whose fake serves it. This module is a complete driver for it,
in the shape every driver has:

1. what the cart is (:func:`describe_cart`: the four connection fields, the status table);
2. how to reach it (:func:`client`: an :class:`ecom.http.CartHTTP` with the cart's auth, its
   error body and its rate-limit headers; retries, backoff and redaction come with it);
3. reads (:func:`fetch_orders`, :func:`fetch_orders_by_id`, :func:`fetch_products`): pages in,
   :func:`ecom.records.translate_page` over pure translation functions (:func:`order_from_cart`,
   :func:`product_from_cart`), the first page stamped with the cart's clock (``read_at``);
4. writes (:func:`push_status`, :func:`push_inventory`, :func:`upsert_products`): batches out,
   one :class:`~ecom.records.PushResult` per record, a refused record failing alone.

It is registered only by tests (``ecom_plugins.register(testcart)``), never by an entry point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from ecom import hookimpl
from ecom.drivers import OrderState, Results, changed_since_import, last_change
from ecom.errors import RejectedError
from ecom.http import CartHTTP, RateLimitPacer, cart_clock, cursors, default_error_message
from ecom.records import (
    CartAddress,
    CartCustomer,
    CartFee,
    CartDiscount,
    CartInfo,
    CartLine,
    CartOrder,
    CartPayment,
    CartProduct,
    CartShippingLine,
    CartTaxLine,
    Connection,
    ConnectionFields,
    ConnectionReport,
    Page,
    PushResult,
    StatusUpdate,
    StockLevel,
    WebOrderStatus,
    translate_page,
)
from ecom.testing.testcart_fake import FakeTestCart

PAGE_SIZE = 50  # the cart allows 1 to 100
PRODUCT_BATCH = 50
STOCK_BATCH = 100

#: Test Cart's order statuses -> the six web order statuses. Archiving is a flag (archived_at).
STATUSES: dict[str, WebOrderStatus] = {
    "pending": WebOrderStatus.PAYMENT_PENDING,
    "on_hold": WebOrderStatus.ON_CREDIT_HOLD,
    "authorized": WebOrderStatus.APPROVED,
    "paid": WebOrderStatus.PROCESSING,
    "shipped": WebOrderStatus.CLOSED,
    "completed": WebOrderStatus.CLOSED,
    "cancelled": WebOrderStatus.VOIDED,
    "refunded": WebOrderStatus.VOIDED,
}
#: The cart status each back-office change sets ("shipped" creates a fulfilment instead).
PUSHED_STATUS = {"voided": "cancelled", "closed": "completed"}
#: The API token scope each operation needs.
SCOPES = {
    "fetch_orders": "orders:read",
    "push_status": "orders:write",
    "fetch_products": "products:read",
    "upsert_products": "products:write",
    "push_inventory": "inventory:write",
}

INFO = CartInfo(
    kind="testcart",
    title="Test Cart",
    fields=ConnectionFields(
        website_name="A name for this store in ecom, e.g. 'Test Cart demo'.",
        api_url="The store's address, e.g. https://shop.example.com (the API is under /api/v1).",
        username="Not used: leave blank.",
        password="An API token from the store's Settings > API, with the scopes the enabled operations need.",
    ),
    statuses=dict(STATUSES),
    required=["password"],
    api_paths=[r"/api(/v1)?"],
    after_import_statuses=list(STATUSES),
)


# -- reaching the cart --------------------------------------------------------------------------


def client(connection: Connection) -> CartHTTP:
    """An HTTP client for the store: bearer-token auth, the cart's error words, paced by its
    rate-limit headers."""
    return CartHTTP(
        connection,
        base_url=connection.api_url.rstrip("/") + "/api/v1",
        headers={"Authorization": f"Bearer {connection.password.get_secret_value()}"},
        error_message=cart_words,
        pacer=RateLimitPacer(),
    )


def cart_words(response: httpx.Response) -> str:
    """The message of Test Cart's error body, ``{"error": {"code", "message"}}``."""
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return default_error_message(response)


# -- hooks --------------------------------------------------------------------------------------


@hookimpl
def describe_cart() -> CartInfo:
    return INFO


@hookimpl
def test_connection(connection: Connection, operations: frozenset[str]) -> ConnectionReport:
    with client(connection) as http:
        store = http.get("/store").json()["store"]
    granted = set(store["token_scopes"])
    warnings = [
        f"{op.replace('_', ' ').capitalize()} needs the API token scope '{SCOPES[op]}', which this token lacks."
        for op in sorted(operations)
        if op in SCOPES and SCOPES[op] not in granted
    ]
    return ConnectionReport(
        message=f"Connected to {store['name']}.",
        details={"store": store["id"], "currency": store["currency"], "api version": store["api_version"]},
        warnings=warnings,
    )


@hookimpl
def fetch_orders(connection: Connection, since: datetime | None) -> Iterator[Page[CartOrder]]:
    return _pages(connection, "/orders", "orders", since, order_from_cart)


@hookimpl
def fetch_orders_by_id(connection: Connection, ids: list[str]) -> Iterator[Page[CartOrder]]:
    with client(connection) as http:
        for raws in _by_id(http, ids):
            yield translate_page(raws, order_from_cart, ref=_ref)


def _by_id(http: CartHTTP, ids: list[str]) -> Iterator[list[dict[str, Any]]]:
    """The cart's orders with these ids, as it sends them: a request per page of ids (an id that
    is not a number is none of its orders)."""
    for start in range(0, len(ids), PAGE_SIZE):
        chunk = [i for i in ids[start : start + PAGE_SIZE] if i.isdigit()]
        if chunk:
            yield http.get("/orders", params={"ids": ",".join(chunk), "limit": PAGE_SIZE}).json()["orders"]


@hookimpl
def fetch_products(connection: Connection, since: datetime | None) -> Iterator[Page[CartProduct]]:
    return _pages(connection, "/products", "products", since, product_from_cart)


@hookimpl
def push_status(connection: Connection, updates: list[StatusUpdate]) -> list[PushResult]:
    with client(connection) as http:

        def states(ids: list[str]) -> dict[str, OrderState]:  # never touch an order the shop moved on since
            return {str(raw["id"]): (last_change(raw.get("updated_at")), raw.get("status")) for raws in _by_id(http, ids) for raw in raws}

        left = changed_since_import(updates, states)
        return [left.get(i) or _push_status(http, update) for i, update in enumerate(updates)]


@hookimpl
def push_inventory(connection: Connection, levels: list[StockLevel]) -> list[PushResult]:
    def item(level: StockLevel) -> dict[str, Any] | str:
        if level.location is not None:
            return f"Test Cart keeps one stock quantity per SKU; it has no location {level.location!r}."
        return {"sku": level.sku, "quantity": level.quantity}

    return _batches(connection, "/inventory/batch", "items", levels, item, STOCK_BATCH, ref=lambda level: level.sku)


@hookimpl
def upsert_products(connection: Connection, products: list[CartProduct]) -> list[PushResult]:
    return _batches(
        connection, "/products/batch", "products", products, product_to_cart, PRODUCT_BATCH, ref=lambda p: p.sku or p.name
    )


@hookimpl
def fake_cart() -> FakeTestCart:
    return FakeTestCart()


# -- reads and writes ---------------------------------------------------------------------------

R = TypeVar("R", CartOrder, CartProduct)


def _pages(
    connection: Connection, path: str, key: str, since: datetime | None, translate: Callable[[dict[str, Any]], R]
) -> Iterator[Page[R]]:
    params = {"limit": PAGE_SIZE, "updated_since": since.isoformat() if since else None}
    next_page = cursors(lambda response: response.json()["next_cursor"])
    with client(connection) as http:
        for n, response in enumerate(http.paginate(path, params=params, next_params=next_page)):
            page = translate_page(response.json()[key], translate, ref=_ref)
            page.read_at = cart_clock(response) if n == 0 else None
            yield page


def _ref(raw: dict[str, Any]) -> str:
    """How the merchant names a record the driver could not translate."""
    return str(raw.get("number") or raw.get("sku") or raw.get("id"))


def _push_status(http: CartHTTP, update: StatusUpdate) -> PushResult:
    path = f"/orders/{quote(update.order_id, safe='')}"
    try:
        if update.kind == "shipped":
            shipment = {
                "tracking_number": update.tracking_number,
                "carrier": update.carrier,
                "tracking_url": update.tracking_url,
                "shipped_at": update.shipped_at.isoformat() if update.shipped_at else None,
            }
            http.post(f"{path}/fulfillments", json=shipment, idempotent=False)  # a retry could ship twice
        else:
            status = update.cart_status if update.kind == "cart_status" else PUSHED_STATUS[update.kind]
            http.patch(path, json={"status": status})
    except RejectedError as exc:
        return PushResult.failed(update.order_id, str(exc))
    return PushResult(ref=update.order_id, ok=True, external_id=update.order_id)


T = TypeVar("T")


def _batches(
    connection: Connection,
    path: str,
    key: str,
    records: Sequence[T],
    to_cart: Callable[[T], dict[str, Any] | str],
    size: int,
    ref: Callable[[T], str],
) -> list[PushResult]:
    """POST ``records`` in batches of ``size``; one result per record, in order. ``to_cart``
    returns the cart's JSON for a record, or a string saying why it cannot be sent."""
    results = Results(records, ref=ref)
    sendable: list[tuple[int, dict[str, Any]]] = []
    for index, record in enumerate(records):
        body = to_cart(record)
        if isinstance(body, str):
            results.fail(index, body)
        else:
            sendable.append((index, body))
    with client(connection) as http:
        for start in range(0, len(sendable), size):
            chunk = sendable[start : start + size]
            try:
                # Test Cart's batches set values and upsert by SKU, so a retried batch does no harm.
                answers = http.post(path, json={key: [body for _, body in chunk]}).json()["results"]
            except RejectedError as exc:  # the whole batch refused: each record says why
                answers = [{"status": "error", "error": {"message": str(exc)}}] * len(chunk)
            for (index, _), answer in zip(chunk, answers, strict=True):
                results.set(index, _result(ref(records[index]), answer))
    return results.done()


def _result(ref: str, answer: dict[str, Any]) -> PushResult:
    if answer["status"] == "error":
        return PushResult.failed(ref, answer["error"]["message"])
    external_id = str(answer["id"]) if answer.get("id") is not None else None
    return PushResult(ref=ref, ok=True, action=answer["status"], external_id=external_id)


# -- translation (pure functions) ---------------------------------------------------------------


def order_from_cart(raw: dict[str, Any]) -> CartOrder:
    """A Test Cart order -> a :class:`CartOrder`. Money strings and ISO times are parsed by
    the record's validation."""
    customer = raw.get("customer")
    return CartOrder(
        external_id=str(raw["id"]),
        number=raw["number"],
        created_at=raw["created_at"],
        updated_at=raw["updated_at"],
        currency=raw["currency"],
        status=STATUSES[raw["status"]],
        cart_status=raw["status"],
        secondary_status=raw.get("fulfillment_status"),
        financial_status=raw.get("payment_status"),
        sales_channel=raw.get("channel"),
        archived=raw.get("archived_at") is not None,
        customer=_customer(customer) if customer else None,
        billing=_address(raw.get("billing_address")),
        shipping=_address(raw.get("shipping_address")),
        lines=[_line(item) for item in raw["items"]],
        shipping_lines=[
            CartShippingLine(
                external_id=str(s["id"]), title=s["method"], code=s.get("code"), carrier=s.get("carrier"),
                price=s["price"], tax_lines=_taxes(s.get("taxes")),
            )
            for s in raw.get("shipping", [])
        ],
        fees=[
            CartFee(external_id=str(f["id"]), name=f["name"], amount=f["amount"], taxable=f["taxable"])
            for f in raw.get("fees", [])
        ],
        discounts=[CartDiscount(code=d["code"], amount=d["amount"], kind=d.get("type")) for d in raw.get("discounts", [])],
        payments=[
            CartPayment(method=p["method"], amount=p.get("amount"), reference=p.get("reference"))
            for p in raw.get("payments", [])
        ],
        tax_lines=_taxes(raw.get("taxes")),
        taxes_included=raw.get("prices_include_tax", False),
        total_tax=raw["tax_total"],
        total=raw["total"],
        note=raw.get("note"),
        tags=raw.get("tags", []),
        raw=raw,
    )


def product_from_cart(raw: dict[str, Any]) -> CartProduct:
    """A Test Cart product -> a :class:`CartProduct` (Test Cart has no variants)."""
    return CartProduct(
        sku=raw.get("sku"), name=raw["name"], external_id=str(raw["id"]), description=raw.get("description"),
        price=raw.get("price"), currency=raw.get("currency"), weight=raw.get("weight"),
        weight_unit=raw.get("weight_unit"), active=raw.get("active", True),
        quantity=raw.get("stock") if raw.get("track_stock") else None, raw=raw,
    )


def product_to_cart(product: CartProduct) -> dict[str, Any] | str:
    """A :class:`CartProduct` -> a Test Cart batch item (fields left None stay unchanged)."""
    if not product.sku and not product.external_id:
        return "A product needs a SKU to be exported to Test Cart."
    body = {
        "id": product.external_id,
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "price": str(product.price) if product.price is not None else None,
        "currency": product.currency,
        "weight": str(product.weight) if product.weight is not None else None,
        "weight_unit": product.weight_unit,
        "active": product.active,
    }
    return {k: v for k, v in body.items() if v is not None}


def _customer(raw: dict[str, Any]) -> CartCustomer:
    return CartCustomer(
        external_id=str(raw["id"]) if raw.get("id") is not None else None,  # None: a guest checkout
        email=raw.get("email"), first_name=raw.get("first_name"), last_name=raw.get("last_name"),
        company=raw.get("company"), phone=raw.get("phone"), tax_exempt=raw.get("tax_exempt", False), raw=raw,
    )


def _address(raw: dict[str, Any] | None) -> CartAddress | None:
    if not raw:
        return None
    return CartAddress(
        first_name=raw.get("first_name"), last_name=raw.get("last_name"), company=raw.get("company"),
        line1=raw.get("street1"), line2=raw.get("street2"), city=raw.get("city"), state=raw.get("region"),
        postal_code=raw.get("postcode"), country=raw.get("country"), phone=raw.get("phone"), email=raw.get("email"),
    )


def _line(raw: dict[str, Any]) -> CartLine:
    return CartLine(
        external_id=str(raw["id"]), sku=raw.get("sku"), name=raw.get("name", ""), quantity=raw["quantity"],
        unit_price=raw["unit_price"], discount=raw.get("discount", "0"), taxable=raw.get("taxable", True),
        tax_lines=_taxes(raw.get("taxes")), product_id=str(raw["product_id"]) if raw.get("product_id") else None,
        raw=raw,
    )


def _taxes(raw: list[dict[str, Any]] | None) -> list[CartTaxLine]:
    return [CartTaxLine(title=t["name"], rate=t.get("rate"), amount=t["amount"]) for t in raw or []]
