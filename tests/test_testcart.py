"""Test Cart, the core's own driver: its translation, its fake's API rules, and its writes."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest

import ecom.http
from ecom.errors import AuthError
from ecom.records import CartProduct, StatusUpdate, StockLevel, WebOrderStatus
from ecom.testing import testcart
from ecom.testing.drivers import drain, fake_connection
from ecom.testing.testcart_fake import STATUSES, FakeTestCart

BASE = "https://shop.example.test"


@pytest.fixture
def fake() -> FakeTestCart:
    cart = FakeTestCart()
    cart.seed(orders=60, products=12, seed=11)
    return cart


@pytest.fixture
def connection(fake: FakeTestCart):
    return fake_connection(fake, BASE)


@pytest.fixture
def api(fake: FakeTestCart) -> httpx.Client:
    """Raw HTTP to the fake, to check the API itself."""
    return httpx.Client(
        base_url=f"{BASE}/api/v1", transport=fake.transport(), headers={"Authorization": f"Bearer {fake.token}"}
    )


def all_orders(connection):
    fetched = drain(testcart.fetch_orders(connection=connection, since=None))
    assert fetched.failures == []
    return fetched.records


# -- translation --------------------------------------------------------------------------------

PAYLOAD = {
    "id": 1042, "number": "TC-1042", "status": "paid", "payment_status": "paid", "fulfillment_status": "unfulfilled",
    "channel": "web", "currency": "USD", "created_at": "2025-03-14T10:21:07-04:00",
    "updated_at": "2025-03-14T10:23:55-04:00", "archived_at": None, "prices_include_tax": False,
    "customer": {"id": None, "email": "zoe@example.co.uk", "first_name": "Zoë", "last_name": "Ashford",
                 "company": None, "phone": None, "tax_exempt": False},
    "billing_address": {"first_name": "Zoë", "last_name": "Ashford", "company": None, "street1": "14 Gower St",
                        "street2": None, "city": "London", "region": None, "postcode": "WC1E 6DP", "country": "GB",
                        "phone": None, "email": "zoe@example.co.uk"},
    "shipping_address": None,
    "items": [{"id": 7, "product_id": 101, "sku": "TC-MUG-WHT", "name": "Enamel Mug, White", "quantity": 2,
               "unit_price": "12.50", "discount": "2.50", "taxable": True,
               "taxes": [{"name": "VAT", "rate": "0.20", "amount": "4.50"}]}],
    "shipping": [{"id": 3, "method": "International Economy", "code": "INTL-ECO", "carrier": "DHL", "price": "24.00",
                  "taxes": [{"name": "VAT", "rate": "0.20", "amount": "4.80"}]}],
    "fees": [{"id": 1, "name": "Gift wrap", "amount": "4.00", "taxable": False}],
    "discounts": [{"code": "WELCOME10", "type": "percentage", "amount": "2.50"}],
    "payments": [{"method": "paypal", "amount": "59.30", "reference": "pay_1"}],
    "taxes": [{"name": "VAT", "amount": "9.30"}], "tax_total": "9.30", "total": "59.30",
    "note": "Bitte beim Nachbarn abgeben.", "tags": ["gift"], "fulfillments": [],
}


def test_order_from_cart_maps_every_field() -> None:
    order = testcart.order_from_cart(PAYLOAD)
    assert (order.external_id, order.number, order.status, order.cart_status) == ("1042", "TC-1042", WebOrderStatus.PROCESSING, "paid")
    assert order.created_at == datetime(2025, 3, 14, 10, 21, 7, tzinfo=timezone(timedelta(hours=-4)))
    assert (order.secondary_status, order.financial_status, order.sales_channel) == ("unfulfilled", "paid", "web")
    assert order.customer is not None and order.customer.external_id is None and order.customer.first_name == "Zoë"
    assert order.billing is not None and (order.billing.line1, order.billing.postal_code, order.billing.country) == (
        "14 Gower St", "WC1E 6DP", "GB",
    )
    assert order.shipping is None
    [line] = order.lines
    assert (line.external_id, line.sku, line.quantity, line.unit_price, line.discount) == ("7", "TC-MUG-WHT", 2, Decimal("12.50"), Decimal("2.50"))
    assert line.tax_lines[0].rate == Decimal("0.20") and line.product_id == "101"
    assert order.shipping_lines[0].title == "International Economy" and order.shipping_lines[0].carrier == "DHL"
    assert order.fees[0].amount == Decimal("4.00")
    assert order.discounts[0].code == "WELCOME10" and order.discounts[0].kind == "percentage"
    assert order.payments[0].method == "paypal"
    assert (order.total_tax, order.total) == (Decimal("9.30"), Decimal("59.30"))
    assert order.tags == ["gift"] and order.raw == PAYLOAD


def test_seeded_orders_add_up_and_cover_the_cases(connection) -> None:
    orders = all_orders(connection)
    assert len(orders) == 60
    for order in orders:
        lines = sum((ln.quantity * ln.unit_price - ln.discount for ln in order.lines), Decimal(0))
        extras = sum((s.price for s in order.shipping_lines), Decimal(0)) + sum((f.amount for f in order.fees), Decimal(0))
        assert lines + extras + order.total_tax == order.total, order.number
        taxes = [t.amount for ln in order.lines for t in ln.tax_lines] + [t.amount for s in order.shipping_lines for t in s.tax_lines]
        assert sum(taxes, Decimal(0)) == order.total_tax == sum((t.amount for t in order.tax_lines), Decimal(0))
        assert sum((ln.discount for ln in order.lines), Decimal(0)) == sum((d.amount for d in order.discounts), Decimal(0))
    customers = [o.customer for o in orders if o.customer]
    assert any(c.external_id is None for c in customers) and any(c.external_id for c in customers)
    exempt = [o for o in orders if o.customer and o.customer.tax_exempt]
    assert exempt and all(o.total_tax == 0 for o in exempt)
    assert {o.billing.country for o in orders if o.billing} >= {"US", "CA", "GB", "DE", "JP"}
    assert any(not c.name.isascii() for c in customers)
    assert any(len(ln.tax_lines) == 2 for o in orders for ln in o.lines), "state and local taxes"
    assert any(o.discounts for o in orders) and any(o.fees for o in orders)
    assert set(Counter(o.cart_status for o in orders)) == set(STATUSES)
    assert any(o.archived for o in orders)


def test_every_cart_status_is_in_the_status_table() -> None:
    assert set(testcart.INFO.statuses) == set(STATUSES)


def test_seeding_is_deterministic() -> None:
    one, two, other = FakeTestCart(), FakeTestCart(), FakeTestCart()
    for cart, seed in ((one, 5), (two, 5), (other, 6)):
        cart.seed(orders=20, seed=seed)
    assert one.orders == two.orders and one.products == two.products
    assert one.orders != other.orders


def test_an_order_that_cannot_be_translated_fails_alone(fake: FakeTestCart, connection) -> None:
    fake.order(1005)["status"] = "teleported"
    fetched = drain(testcart.fetch_orders(connection=connection, since=None))
    assert len(fetched.records) == 59
    [failure] = fetched.failures
    assert failure.ref == "TC-1005" and "teleported" in failure.message


def test_a_cart_status_is_set_only_on_orders_readable_and_unchanged_since_import(fake: FakeTestCart, connection) -> None:
    imported = datetime(2000, 1, 1, tzinfo=timezone.utc)
    ids = [1003, 1004, 1007]
    fake.order(1003)["updated_at"] = "the day before yesterday"  # nonsense: in doubt, left alone
    fake.order(1007)["updated_at"] = "1999-12-31T00:00:00+00:00"  # as it was imported
    before = {i: fake.order(i)["status"] for i in ids}
    updates = [StatusUpdate(order_id=str(i), kind="cart_status", cart_status="on_hold", unchanged_since=imported) for i in ids]
    results = testcart.push_status(connection=connection, updates=updates)
    assert [(r.ok, r.action) for r in results] == [(True, "unchanged"), (True, "unchanged"), (True, "updated")]
    assert "cannot be read" in results[0].message and "changed in the cart since it was imported" in results[1].message
    assert [fake.order(i)["status"] for i in ids] == [before[1003], before[1004], "on_hold"]
    by_id = [r for r in fake.requests if r.method == "GET" and "ids=" in r.query]
    assert len(by_id) == 1  # the three read in one request


def test_products_are_fetched_with_stock_when_tracked(connection) -> None:
    products = {p.sku: p for p in drain(testcart.fetch_products(connection=connection, since=None)).records}
    assert len(products) == 12
    assert products["TC-GIFT-25"].quantity is None
    assert products["TC-MUG-WHT"].quantity is not None and products["TC-MUG-WHT"].price == Decimal("12.50")


# -- the fake's API rules -----------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_page_size_outside_1_to_100_is_a_400(api: httpx.Client, limit: str) -> None:
    response = api.get("/orders", params={"limit": limit})
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "invalid_parameter", "message": f"limit must be between 1 and 100 (got {limit})."}}


def test_bad_cursor_and_naive_since_are_400(api: httpx.Client) -> None:
    assert api.get("/orders", params={"cursor": "nonsense!"}).json()["error"]["code"] == "invalid_cursor"
    assert api.get("/orders", params={"updated_since": "2025-03-01T00:00:00"}).status_code == 400


def test_cursor_paging_walks_every_order_once(api: httpx.Client) -> None:
    seen, cursor = [], None
    while True:
        body = api.get("/orders", params={"limit": 7, **({"cursor": cursor} if cursor else {})}).json()
        seen += [o["id"] for o in body["orders"]]
        if not (cursor := body["next_cursor"]):
            break
    assert sorted(seen) == list(range(1001, 1061)) and len(seen) == len(set(seen))


def test_missing_or_wrong_token_is_a_401_with_the_carts_body(fake: FakeTestCart) -> None:
    client = httpx.Client(base_url=f"{BASE}/api/v1", transport=fake.transport())
    missing = client.get("/store")
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "unauthorized"
    wrong = client.get("/store", headers={"Authorization": "Bearer nope"})
    assert wrong.json() == {"error": {"code": "unauthorized", "message": "Invalid API token. Create a new one in Settings > API."}}


def test_bad_token_is_an_auth_error_in_the_carts_words(fake: FakeTestCart) -> None:
    with pytest.raises(AuthError) as info:
        testcart.test_connection(connection=fake_connection(fake, BASE, valid=False), operations=frozenset())
    assert str(info.value) == "Invalid API token. Create a new one in Settings > API. (HTTP 401 on GET /store)"
    assert fake.revoked_token not in str(info.value)


def test_a_missing_scope_is_a_warning_on_test_connection_and_a_403_on_use(fake: FakeTestCart, connection) -> None:
    fake.scopes.discard("inventory:write")
    report = testcart.test_connection(connection=connection, operations=frozenset({"push_inventory", "fetch_orders"}))
    assert report.warnings == ["Push inventory needs the API token scope 'inventory:write', which this token lacks."]
    with pytest.raises(AuthError, match="lacks the 'inventory:write' scope"):
        testcart.push_inventory(connection=connection, levels=[StockLevel(sku="TC-MUG-WHT", quantity=1)])


def test_injected_failures_use_the_carts_error_shape(fake: FakeTestCart, api: httpx.Client) -> None:
    fake.fail_next(429, retry_after=2)
    fake.fail_next(502)
    limited = api.get("/store")
    assert limited.headers["Retry-After"] == "2" and limited.json()["error"]["code"] == "rate_limited"
    assert api.get("/store").json()["error"]["code"] == "server_error"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_rate_limit_answers_429_and_the_driver_paces_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    fake = FakeTestCart(rate_limit=2, window=60, clock=clock)
    fake.seed(orders=120, seed=1)
    raw = httpx.Client(base_url=f"{BASE}/api/v1", transport=fake.transport(), headers={"Authorization": f"Bearer {fake.token}"})
    assert [raw.get("/store").headers["X-RateLimit-Remaining"] for _ in range(2)] == ["1", "0"]
    over = raw.get("/store")
    assert over.status_code == 429 and over.headers["Retry-After"] == "60"

    clock.now += 60
    fake.requests.clear()
    waits: list[float] = []
    monkeypatch.setattr(ecom.http, "default_sleep", lambda s: (waits.append(s), setattr(clock, "now", clock.now + s)))
    orders = drain(testcart.fetch_orders(connection=fake_connection(fake, BASE), since=None)).records
    assert len(orders) == 120
    assert [r.status for r in fake.requests] == [200, 200, 200], "the pacer should have waited instead of hitting 429"
    assert len(waits) == 1 and waits[0] > 59


def test_the_driver_reaches_the_fake_over_loopback(fake: FakeTestCart) -> None:
    with fake.serve() as url:
        report = testcart.test_connection(connection=fake.connection(url), operations=frozenset())
    assert report.message == "Connected to Test Cart Demo Store."


# -- writes -------------------------------------------------------------------------------------


def test_push_status_per_record_in_the_carts_words(fake: FakeTestCart, connection) -> None:
    orders = {o.cart_status: o for o in all_orders(connection) if not o.archived}
    shipped, paid, pending = orders["shipped"], orders["paid"], orders["pending"]
    updates = [
        StatusUpdate(order_id=shipped.external_id, kind="voided"),
        StatusUpdate(order_id=paid.external_id, kind="closed"),
        StatusUpdate(order_id=pending.external_id, kind="cart_status", cart_status="on_hold"),
        StatusUpdate(order_id="999999", kind="voided"),
        StatusUpdate(order_id="../store", kind="voided"),
    ]
    results = testcart.push_status(connection=connection, updates=updates)
    assert [r.ok for r in results] == [False, True, True, False, False]
    assert results[0].message == (
        f"Order {shipped.number} is shipped and cannot become cancelled. (HTTP 422 on PATCH /orders/{shipped.external_id})"
    )
    assert results[3].message == "No order has id 999999. (HTTP 404 on PATCH /orders/999999)"
    assert results[4].message.startswith("No route PATCH /api/v1/orders/../store.")  # the id stays in its segment
    assert fake.order(int(paid.external_id))["status"] == "completed"
    assert fake.order(int(pending.external_id))["status"] == "on_hold"


def test_shipping_an_archived_order_is_refused(fake: FakeTestCart, connection) -> None:
    archived = next(o for o in all_orders(connection) if o.archived)
    before = fake.tracking(archived.external_id)
    update = StatusUpdate(order_id=archived.external_id, kind="shipped", tracking_number="1ZNEW")
    [result] = testcart.push_status(connection=connection, updates=[update])
    assert not result.ok and "is archived; unarchive it to change it." in result.message
    assert fake.tracking(archived.external_id) == before


def test_inventory_is_sent_in_batches_of_100_and_locations_fail_alone(connection, fake: FakeTestCart) -> None:
    fake.seed(products=218, seed=2)
    skus = [s for s in fake.skus() if fake.stock(s) is not None][:229]
    levels = [StockLevel(sku=sku, quantity=5) for sku in skus] + [StockLevel(sku=skus[0], quantity=1, location="Warehouse 2")]
    results = testcart.push_inventory(connection=connection, levels=levels)
    assert [r.ok for r in results] == [True] * 229 + [False]
    assert "no location 'Warehouse 2'" in results[-1].message
    assert [r.path for r in fake.writes()] == ["/api/v1/inventory/batch"] * 3
    assert {fake.stock(s) for s in skus} == {5}


def test_product_records_fail_alone(connection, fake: FakeTestCart) -> None:
    products = [
        CartProduct(sku="NEW-1", name="New one", price=Decimal("9.99")),
        CartProduct(sku="NEW-2", name="   "),
        CartProduct(sku=None, name="No SKU"),
        CartProduct(sku="NEW-3", name="Euro", currency="EUR"),
        CartProduct(sku="TC-MUG-BLK", name="Renamed mug", external_id=fake.product("TC-MUG-WHT").external_id),
    ]
    results = testcart.upsert_products(connection=connection, products=products)
    assert [(r.ok, r.action) for r in results] == [(True, "created")] + [(False, "failed")] * 4
    assert results[1].message == "name is required and cannot be blank."
    assert results[2].message == "A product needs a SKU to be exported to Test Cart."
    assert results[3].message == "This store sells in USD, not EUR."
    assert results[4].message.startswith("SKU TC-MUG-BLK already belongs to product")
    assert fake.product("TC-MUG-WHT").name == "Enamel Mug, White"


def test_a_batch_the_cart_refuses_whole_fails_each_record(connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(testcart, "PRODUCT_BATCH", 60)
    products = [CartProduct(sku=f"BULK-{n}", name=f"Bulk {n}") for n in range(55)]
    results = testcart.upsert_products(connection=connection, products=products)
    assert len(results) == 55 and not any(r.ok for r in results)
    assert results[0].message == "A batch holds at most 50 products (got 55). (HTTP 400 on POST /products/batch)"
    assert [r.ref for r in results] == [p.sku for p in products]


def test_fake_connection_is_wired_to_the_fake(fake: FakeTestCart) -> None:
    connection = fake_connection(fake, BASE)
    assert connection.transport is not None and connection.api_url == BASE
    assert dataclasses.replace(connection, transport=None).secrets == (fake.token,)
