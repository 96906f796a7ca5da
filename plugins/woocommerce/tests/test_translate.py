"""The pure translations: WooCommerce payloads to records, records to WooCommerce bodies."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from ecom.errors import ConfigError
from ecom.records import CartOrder, CartProduct, StatusUpdate, WebOrderStatus

from ecom_woocommerce import translate as tr

from .conftest import payload

STATUSES = tr.status_table({})


def order(name: str, **changes: object) -> dict:
    raw = payload(name)
    raw.update(changes)
    return raw


def goods_total(o: CartOrder) -> Decimal:
    """The order total rebuilt from its parts (the way the core's mapping must)."""
    lines = sum(line.unit_price * line.quantity - line.discount for line in o.lines)
    rest = sum(s.price for s in o.shipping_lines) + sum(f.amount for f in o.fees)
    return lines + rest + (0 if o.taxes_included else o.total_tax)


def test_tax_inclusive_order_gives_prices_with_tax_and_adds_up():
    o = tr.translate_order(order("order_de_tax_inclusive.json"), STATUSES)
    assert o.taxes_included and o.currency == "EUR" and o.total == Decimal("73.78")
    hoodie, stickers = o.lines
    assert (hoodie.sku, hoodie.quantity, hoodie.unit_price, hoodie.discount) == ("HOOD-GRY-L", 1, Decimal("59.50"), Decimal("5.95"))
    assert (stickers.unit_price, stickers.discount) == (Decimal("4.76"), Decimal("1.43"))
    assert (hoodie.product_id, hoodie.variant_id, stickers.variant_id) == ("311", "318", None)
    assert [(s.title, s.code, s.price) for s in o.shipping_lines] == [("DHL Paket", "flat_rate", Decimal("5.00"))]
    assert [(f.name, f.amount, f.taxable) for f in o.fees] == [("Geschenkverpackung", Decimal("2.38"), True)]
    assert [(d.code, d.amount) for d in o.discounts] == [("spring10", Decimal("7.38"))]
    assert [(t.title, t.amount) for t in o.tax_lines] == [("MwSt.", Decimal("11.78"))]
    assert o.total_tax == Decimal("11.78") and goods_total(o) == o.total


def test_tax_exclusive_guest_order_keeps_exact_money_and_adds_up():
    o = tr.translate_order(order("order_us_guest.json"), STATUSES)
    assert not o.taxes_included and o.total == Decimal("63.17") and goods_total(o) == o.total
    first = o.lines[0]
    assert (first.unit_price, first.discount, first.taxable) == (Decimal("18.00"), Decimal("5.00"), True)
    assert [(t.title, t.amount) for t in first.tax_lines] == [("NY Sales Tax", Decimal("2.75125"))]
    assert o.customer.external_id is None and o.customer.email == "dana.keller@example.net"
    assert (o.billing.line2, o.billing.state, o.billing.postal_code) == ("Apt 4B", "NY", "10001")
    assert [(p.method, p.amount) for p in o.payments] == [("bacs", None)], "unpaid: no amount"
    assert o.financial_status == "unpaid" and o.sales_channel == "rest-api"


def test_dates_are_read_in_gmt_not_site_time():
    o = tr.translate_order(order("order_us_guest.json"), STATUSES)
    assert o.created_at == datetime(2025, 3, 14, 10, 21, 7, tzinfo=UTC)
    assert o.updated_at == datetime(2025, 3, 14, 10, 22, 41, tzinfo=UTC)


def test_registered_customer_and_vat_exempt_meta():
    raw = order("order_de_tax_inclusive.json", meta_data=[{"id": 9, "key": "is_vat_exempt", "value": "yes"}])
    o = tr.translate_order(raw, STATUSES)
    assert o.customer.external_id == "57" and o.customer.tax_exempt
    assert o.customer.name == "Jonas Weber" and o.billing.line1 == "Torstraße 140"
    assert o.note == "Bitte beim Nachbarn abgeben."


def test_paid_order_has_payment_amount_and_reference():
    o = tr.translate_order(order("order_de_tax_inclusive.json"), STATUSES)
    assert [(p.method, p.amount, p.reference) for p in o.payments] == [("stripe", Decimal("73.78"), "pi_3Q9xYzEXAMPLE")]
    assert o.financial_status == "paid"


@pytest.mark.parametrize(
    ("refunds", "expected"),
    [([{"id": 1, "reason": "", "total": "-73.78"}], "refunded"), ([{"id": 1, "reason": "", "total": "-10.00"}], "partially_refunded")],
)
def test_refunds_give_the_financial_status(refunds, expected):
    assert tr.translate_order(order("order_de_tax_inclusive.json", refunds=refunds), STATUSES).financial_status == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pending", WebOrderStatus.PAYMENT_PENDING), ("processing", WebOrderStatus.PROCESSING),
        ("on-hold", WebOrderStatus.ON_CREDIT_HOLD), ("completed", WebOrderStatus.CLOSED),
        ("cancelled", WebOrderStatus.VOIDED), ("refunded", WebOrderStatus.VOIDED), ("failed", WebOrderStatus.VOIDED),
    ],
)
def test_status_table(status, expected):
    o = tr.translate_order(order("order_us_guest.json", status=status), STATUSES)
    assert (o.status, o.cart_status, o.archived) == (expected, status, False)


def test_trashed_order_is_archived_and_a_checkout_draft_is_no_order():
    trashed = tr.translate_order(order("order_us_guest.json", status="trash"), STATUSES)
    assert trashed.archived and trashed.cart_status == "trash"
    assert tr.translate_order(order("order_us_guest.json", status="checkout-draft"), STATUSES) is None


def test_custom_statuses_map_through_the_setting():
    table = tr.status_table({"status_map": {"wc-awaiting-shipment": "Processing", "quote": "not imported", "gone": "archived"}})
    assert tr.translate_order(order("order_us_guest.json", status="awaiting-shipment"), table).status == WebOrderStatus.PROCESSING
    assert tr.translate_order(order("order_us_guest.json", status="quote"), table) is None
    assert tr.translate_order(order("order_us_guest.json", status="gone"), table).archived
    with pytest.raises(ValueError, match="awaiting-shipment.*status_map"):
        tr.translate_order(order("order_us_guest.json", status="awaiting-shipment"), STATUSES)
    with pytest.raises(ConfigError, match="'Shipped' for 'x'"):
        tr.status_table({"status_map": {"x": "Shipped"}})


def test_unit_price_that_does_not_divide_evenly_is_rounded_to_four_places():
    raw = order("order_us_guest.json")
    raw["line_items"][0].update(quantity=3, subtotal="10.00", total="10.00")
    assert tr.translate_order(raw, STATUSES).lines[0].unit_price == Decimal("3.3333")


def test_empty_shipping_address_is_none_and_malformed_order_raises():
    raw = order("order_us_guest.json", shipping={k: "" for k in payload("order_us_guest.json")["shipping"]})
    assert tr.translate_order(raw, STATUSES).shipping is None
    broken = copy.deepcopy(raw)
    del broken["total"]
    with pytest.raises(KeyError):
        tr.translate_order(broken, STATUSES)


# -- products ----------------------------------------------------------------------------------

SIMPLE = {
    "id": 402, "name": "Sticker-Set", "type": "simple", "status": "publish", "sku": "STK-PACK", "regular_price": "4.00",
    "price": "3.50", "description": "<p>Drei Sticker &amp; ein Button.</p>", "weight": "0.05", "manage_stock": True,
    "stock_quantity": 12, "parent_id": 0, "attributes": [],
}
VARIABLE = {"id": 311, "name": "Hoodie", "type": "variable", "status": "publish", "sku": "HOOD", "variations": [318]}
VARIATION = {
    "id": 318, "sku": "HOOD-GRY-L", "regular_price": "59.50", "status": "private", "weight": "", "manage_stock": False,
    "stock_quantity": None, "description": "", "attributes": [{"id": 1, "name": "Farbe", "option": "Grau"}, {"id": 2, "name": "Größe", "option": "L"}],
}


def test_simple_product():
    p = tr.translate_product(SIMPLE, "kg")
    assert (p.sku, p.name, p.external_id, p.parent_id) == ("STK-PACK", "Sticker-Set", "402", None)
    assert (p.price, p.weight, p.weight_unit, p.quantity, p.active) == (Decimal("4.00"), Decimal("0.05"), "kg", 12, True)
    assert p.description == "Drei Sticker & ein Button."


def test_variation_takes_its_parents_name_and_its_options():
    p = tr.translate_product(VARIATION, "lbs", parent=VARIABLE)
    assert (p.name, p.parent_id, p.variant_title, p.external_id) == ("Hoodie", "311", "Grau, L", "318")
    assert (p.quantity, p.active, p.weight, p.weight_unit) == (None, False, None, None)
    found_by_sku = {**VARIATION, "type": "variation", "parent_id": 311, "name": "Hoodie - Grau, L"}
    assert tr.translate_product(found_by_sku, "kg").parent_id == "311"


def test_what_is_not_sold_by_itself_is_skipped():
    assert tr.translate_product(VARIABLE, "kg") is None
    assert tr.translate_product({**SIMPLE, "type": "grouped"}, "kg") is None


def test_product_body_converts_weight_to_the_stores_unit():
    product = CartProduct(sku="MUG", name="Mug", price=Decimal("12.5"), weight=Decimal("1"), weight_unit="lb", active=False)
    assert tr.product_body(product, variation=False, weight_unit="kg") == {
        "sku": "MUG", "name": "Mug", "regular_price": "12.5", "weight": "0.454", "status": "draft",
    }
    body = tr.product_body(product.model_copy(update={"weight": Decimal("500"), "weight_unit": "g"}), variation=True, weight_unit="kg")
    assert body == {"sku": "MUG", "regular_price": "12.5", "weight": "0.5", "status": "private"}, "a variation has no name"


def test_stock_body_turns_stock_management_on():
    assert tr.stock_body("318", 0) == {"id": 318, "manage_stock": True, "stock_quantity": 0}


# -- status updates and WooCommerce's words -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "cart_status", "expected"),
    [("shipped", None, "completed"), ("voided", None, "cancelled"), ("closed", None, "completed"),
     ("cart_status", "wc-on-hold", "on-hold"), ("cart_status", None, None)],
)
def test_pushed_status(kind, cart_status, expected):
    assert tr.pushed_status(StatusUpdate(order_id="1", kind=kind, cart_status=cart_status)) == expected


def test_tracking_note():
    update = StatusUpdate(order_id="1", kind="shipped", carrier="DHL", tracking_number="00340434161094042557",
                          tracking_url="https://www.dhl.de/track?id=00340434161094042557")
    assert tr.tracking_note(update) == (
        "Shipped with DHL, tracking number 00340434161094042557. Track it at https://www.dhl.de/track?id=00340434161094042557"
    )
    assert tr.tracking_note(StatusUpdate(order_id="1", kind="shipped")) is None
    assert tr.tracking_note(StatusUpdate(order_id="1", kind="voided", tracking_number="X")) is None


def test_error_words():
    assert tr.error_words({"code": "woocommerce_rest_authentication_error", "message": "Consumer key is invalid.",
                           "data": {"status": 401}}) == "Consumer key is invalid."
    invalid = {"code": "rest_invalid_param", "message": "Invalid parameter(s): per_page",
               "data": {"status": 400, "params": {"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"}}}
    assert tr.error_words(invalid) == "Invalid parameter(s): per_page (per_page must be between 1 (inclusive) and 100 (inclusive))"
    critical = {"code": "internal_server_error", "message": "<p>There has been a critical error on this website.</p><p><a href=\"x\">Learn more</a></p>"}
    assert tr.error_words(critical) == "There has been a critical error on this website. Learn more"
    assert tr.error_words(["not", "an error"]) == ""


def test_a_tracking_note_is_found_among_notes_wordpress_gave_back_as_html():
    note = "Shipped with UPS, tracking number 1Z9. Track it at https://t.example/?a=1&b=2"
    given = [{"note": "<p>Order status changed.</p>"}, {"note": "<p>Shipped with UPS, tracking number 1Z9. Track it at https://t.example/?a=1&amp;b=2</p>\n"}]
    assert tr.has_note(given, note)
    assert not tr.has_note(given[:1], note) and not tr.has_note({"code": "x"}, note)
