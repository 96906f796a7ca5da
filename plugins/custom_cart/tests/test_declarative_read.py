"""The mapping mode reads the legacy shop's orders through the shipped example mapping only."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from ecom.errors import ConfigError, RecordError
from ecom.records import WebOrderStatus

from ecom_custom_cart.declarative import CartMapping, MappedCart
from ecom_custom_cart.legacy_fake import PRODUCTS, LegacyShopFake

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "custom-cart-mapping-example.toml"


@pytest.fixture
def fake() -> LegacyShopFake:
    return LegacyShopFake()


@pytest.fixture
def cart(fake: LegacyShopFake) -> MappedCart:
    return MappedCart(fake.wired(), CartMapping.from_text(EXAMPLE.read_text(), "legacy.toml"))


def orders(cart: MappedCart, since: datetime | None = None) -> tuple[list, list]:
    pages = list(cart.fetch_orders(since))
    return [o for p in pages for o in p.records], [f for p in pages for f in p.failures]


def test_an_order_is_translated_field_by_field(fake, cart):
    raw = fake.add_order(lines=[("MUG-RED", 2), ("TEE-S", 1)], state="paid")
    (order,), failures = orders(cart)
    assert failures == []
    assert order.external_id == str(raw["id"]) and order.number == raw["ref"]
    assert order.status is WebOrderStatus.APPROVED and order.cart_status == "paid"
    assert order.created_at == datetime.strptime(raw["placed"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert order.currency == "EUR"
    assert order.total == Decimal(raw["sums"]["total"]["amount"]) and order.total_tax == Decimal(raw["sums"]["vat"]["amount"])
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines] == [
        ("MUG-RED", 2, Decimal(PRODUCTS["MUG-RED"][1])), ("TEE-S", 1, Decimal(PRODUCTS["TEE-S"][1]))
    ]
    assert [line.product_id for line in order.lines] == ["LG-MUG-RED", "LG-TEE-S"]  # the shop's own item codes
    assert order.lines[0].raw == raw["items"][0]
    assert order.customer.email == raw["buyer"]["mail"] and order.customer.external_id == "77"
    assert order.shipping.city == raw["deliver_to"]["town"] and order.billing.country == "DE"
    assert [(s.title, s.price) for s in order.shipping_lines] == [("DHL Paket", Decimal(raw["postage"]["price"]["amount"]))]
    assert order.raw == raw
    # money never went through a float
    assert all(isinstance(v, Decimal) for v in (order.total, order.lines[0].unit_price))


def test_statuses_in_the_shops_words_map_to_web_statuses_archived_and_not_imported(fake, cart):
    for state in ("new", "awaiting payment", "on hold", "cancelled", "deleted", "basket"):
        fake.add_order(lines=[("CAP", 1)], state=state)
    got, failures = orders(cart)
    assert failures == []
    assert [(o.cart_status, o.status, o.archived) for o in got] == [
        ("new", WebOrderStatus.PROCESSING, False),
        ("awaiting payment", WebOrderStatus.PAYMENT_PENDING, False),
        ("on hold", WebOrderStatus.ON_CREDIT_HOLD, False),
        ("cancelled", WebOrderStatus.VOIDED, False),
        ("deleted", WebOrderStatus.VOIDED, True),
    ]  # the basket is not an order


def test_the_admins_status_map_overrides_the_mapping_file(fake):
    fake.add_order(lines=[("CAP", 1)], state="on hold")
    mapping = CartMapping.from_text(EXAMPLE.read_text(), "legacy.toml")
    cart = MappedCart(fake.wired(status_map={"on hold": "Processing"}), mapping)
    (order,), _ = orders(cart)
    assert order.status is WebOrderStatus.PROCESSING


def test_an_order_that_does_not_fit_is_its_own_failure_naming_the_field_and_expression(fake, cart):
    fake.add_order(lines=[("CAP", 1)])
    bad = fake.add_order(lines=[("CAP", 1)])
    bad["items"][0]["price"]["amount"] = "12,50"
    odd = fake.add_order(lines=[("CAP", 1)], state="lost in the post")
    fake.add_order(lines=[("MUG-RED", 1)])
    got, failures = orders(cart)
    assert [o.number for o in got] == ["LS-5001", "LS-5004"]
    by_ref = {f.ref: f.message for f in failures}
    assert set(by_ref) == {bad["ref"], odd["ref"]}
    assert "unit_price '12,50'" in by_ref[bad["ref"]] and "orders.fields.lines.unit_price" in by_ref[bad["ref"]]
    assert "{{ item.price.amount }}" in by_ref[bad["ref"]]
    assert "'lost in the post'" in by_ref[odd["ref"]] and "[statuses]" in by_ref[odd["ref"]]
    assert all("\n" not in m for m in by_ref.values())


def test_a_missing_required_value_names_the_field(fake, cart):
    raw = fake.add_order(lines=[("CAP", 1)])
    del raw["sums"]["total"]
    got, failures = orders(cart)
    assert got == [] and [f.ref for f in failures] == [raw["ref"]]
    assert "total" in failures[0].message and "orders.fields.total" in failures[0].message


def test_since_is_sent_in_the_shops_format_and_read_at_is_the_shops_clock(fake, cart):
    fake.add_order(lines=[("CAP", 1)])
    since = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    pages = list(cart.fetch_orders(since))
    assert "changed_since=2026-12-01+10%3A30%3A00" in fake.requests[-1].query
    assert pages[0].read_at == fake.now


def test_orders_by_id_cost_one_request_per_group_of_ids(fake, cart):
    for _ in range(120):
        fake.add_order(lines=[("CAP", 1)])
    wanted = [str(5001 + n) for n in range(0, 120, 2)]  # 60 ids; the example groups 50 per request
    before = len(fake.requests)
    pages = list(cart.fetch_orders_by_id(wanted))
    assert sorted(o.external_id for p in pages for o in p.records) == sorted(wanted)
    assert len(fake.requests) - before == 2


def test_preview_shows_what_one_raw_record_becomes_and_refuses_one_that_does_not_fit(fake, cart):
    raw = fake.add_order(lines=[("CAP", 3)])
    assert cart.preview(raw).lines[0].quantity == 3
    raw["items"][0]["qty"] = "three"
    with pytest.raises(RecordError) as caught:
        cart.preview(raw)
    assert caught.value.ref == raw["ref"] and "quantity 'three'" in str(caught.value)


def test_products_are_read_with_skus_from_item_codes(fake, cart):
    fake.seed(products=5)
    products = [p for page in cart.fetch_products(None) for p in page.records]
    assert sorted(p.sku for p in products) == fake.skus()
    cap = next(p for p in products if p.sku == "CAP")
    assert cap.external_id == "LG-CAP" and cap.quantity == fake.stock("CAP") and cap.price == Decimal(PRODUCTS["CAP"][1])


def test_test_connection_says_what_the_shop_answered(fake, cart):
    report = cart.test_connection(frozenset({"push_status"}))
    assert report.message == "Legacy Shop 2.3 answered." and report.warnings == []


def test_an_operation_the_file_does_not_map_is_named_not_attempted(fake):
    text = EXAMPLE.read_text()
    text = text[: text.index("[orders.by_id]")] + text[text.index("[orders.fields]") :]
    text = text[: text.index("[stock_push]")] + text[text.index("[products]") :]
    cart = MappedCart(fake.wired(), CartMapping.from_text(text, "legacy.toml"))
    report = cart.test_connection(frozenset({"push_inventory", "fetch_orders"}))
    assert report.warnings == ["The mapping legacy.toml has no section for push_inventory."]
    with pytest.raises(ConfigError, match="orders.by_id is not set"):
        list(cart.fetch_orders_by_id(["5001"]))
    with pytest.raises(ConfigError, match=r"has no \[stock_push\] section"):
        cart.push_inventory([])
    assert len(fake.requests) == 1  # the test connection only
