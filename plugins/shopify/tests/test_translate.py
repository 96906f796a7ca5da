"""Translation between Shopify's GraphQL shapes and the canonical records: pure functions only.

The fixture ``order_1042.json`` is the documented example order (``shared/notes/cart-apis.md``
§1.10) in the shape the driver's ``ORDERS`` query returns it.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from ecom import CartProduct, WebOrderStatus
from ecom_shopify import translate

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "order_1042.json").read_text(encoding="utf-8"))


@pytest.fixture
def raw() -> dict:
    return copy.deepcopy(FIXTURE)


def test_order_keeps_the_carts_totals_lines_and_addresses(raw: dict) -> None:
    order = translate.order(raw)
    assert (order.external_id, order.number, order.currency) == ("gid://shopify/Order/5931274601234", "#1042", "USD")
    assert (order.total, order.total_tax, order.taxes_included) == (Decimal("67.14"), Decimal("4.99"), False)
    assert [(line.sku, line.quantity, line.unit_price, line.discount) for line in order.lines] == [
        ("TEE-BLK-M", 2, Decimal("25.00"), Decimal("5.00")),
        ("MUG-WHT", 1, Decimal("12.50"), Decimal("1.25")),
    ]
    assert order.lines[0].tax_lines[0].rate == Decimal("0.08875") and order.lines[0].tax_lines[0].amount == Decimal("3.99")
    assert order.lines[0].variant_id == "gid://shopify/ProductVariant/44012345678901"
    assert [(s.title, s.code, s.carrier, s.price) for s in order.shipping_lines] == [
        ("Standard (3-5 days)", "STANDARD", "shopify", Decimal("5.90"))
    ]
    assert [(d.code, d.amount, d.kind) for d in order.discounts] == [("WELCOME10", Decimal("6.25"), "code")]
    assert (order.billing.state, order.billing.country, order.billing.line2) == ("NY", "US", "Apt 4B")
    assert order.shipping.email == "dana.keller@example.net"
    assert [(p.method, p.amount) for p in order.payments] == [("shopify_payments", Decimal("67.14"))]
    assert (order.sales_channel, order.tags, order.archived) == ("web", ["repeat-buyer", "wholesale"], False)
    assert order.created_at.utcoffset() is not None and order.raw == raw


def test_order_totals_add_up_as_the_cart_computed_them(raw: dict) -> None:
    order = translate.order(raw)
    lines = sum(line.unit_price * line.quantity - line.discount for line in order.lines)
    assert lines + sum(s.price for s in order.shipping_lines) + order.total_tax == order.total


@pytest.mark.parametrize(
    ("financial", "fulfillment", "cancelled", "expected"),
    [
        ("PAID", "FULFILLED", True, WebOrderStatus.VOIDED),
        ("REFUNDED", "UNFULFILLED", False, WebOrderStatus.VOIDED),
        ("VOIDED", "UNFULFILLED", False, WebOrderStatus.VOIDED),
        ("PAID", "FULFILLED", False, WebOrderStatus.CLOSED),
        ("PAID", "ON_HOLD", False, WebOrderStatus.ON_CREDIT_HOLD),
        ("PENDING", "UNFULFILLED", False, WebOrderStatus.PAYMENT_PENDING),
        ("EXPIRED", "UNFULFILLED", False, WebOrderStatus.PAYMENT_PENDING),
        ("AUTHORIZED", "UNFULFILLED", False, WebOrderStatus.APPROVED),
        ("PAID", "UNFULFILLED", False, WebOrderStatus.PROCESSING),
        ("PARTIALLY_PAID", "UNFULFILLED", False, WebOrderStatus.PROCESSING),
        ("PARTIALLY_REFUNDED", "PARTIALLY_FULFILLED", False, WebOrderStatus.PROCESSING),
        (None, "UNFULFILLED", False, WebOrderStatus.PROCESSING),
    ],
)
def test_status_table(financial: str | None, fulfillment: str, cancelled: bool, expected: WebOrderStatus) -> None:
    assert translate.web_status(financial, fulfillment, cancelled) is expected


def test_closed_order_is_archived_and_cancelled_one_voided(raw: dict) -> None:
    raw.update(closed=True, closedAt="2025-03-20T10:00:00Z", displayFulfillmentStatus="FULFILLED")
    closed = translate.order(raw)
    assert closed.archived and closed.status is WebOrderStatus.CLOSED and closed.cart_status == "closed"
    raw.update(closed=False, closedAt=None, cancelledAt="2025-03-15T10:00:00Z", displayFinancialStatus="REFUNDED")
    cancelled = translate.order(raw)
    assert not cancelled.archived and cancelled.status is WebOrderStatus.VOIDED and cancelled.cart_status == "cancelled"
    assert (cancelled.financial_status, cancelled.secondary_status) == ("refunded", "fulfilled")


def test_guest_checkout_is_described_from_the_order(raw: dict) -> None:
    raw["customer"] = None
    raw["taxExempt"] = True
    raw["billingAddress"]["company"] = "Keller & Söhne GmbH"
    customer = translate.order(raw).customer
    assert customer is not None and customer.external_id is None
    assert (customer.email, customer.first_name, customer.company, customer.tax_exempt) == (
        "dana.keller@example.net", "Dana", "Keller & Söhne GmbH", True)


def test_tax_exempt_customer_and_non_us_unicode_address(raw: dict) -> None:
    raw["customer"].update(taxExempt=True, firstName="山田", lastName="太郎")
    raw["shippingAddress"].update(countryCodeV2="JP", provinceCode="JP-13", province="Tokyo", city="渋谷区", zip="150-0002")
    order = translate.order(raw)
    assert order.customer.tax_exempt and order.customer.name == "山田 太郎"
    assert (order.shipping.country, order.shipping.state, order.shipping.city) == ("JP", "JP-13", "渋谷区")


def test_automatic_discount_is_named_by_its_title(raw: dict) -> None:
    automatic = {"__typename": "AutomaticDiscountApplication", "title": "Spring sale"}
    raw["lineItems"]["nodes"][1]["discountAllocations"] = [{"allocatedAmountSet": {"shopMoney": {"amount": "0.63"}}, "discountApplication": automatic}]
    assert {(d.code, d.amount, d.kind) for d in translate.order(raw).discounts} == {
        ("WELCOME10", Decimal("5.00"), "code"), ("Spring sale", Decimal("0.63"), "automatic")}


def test_an_order_with_unread_lines_is_refused_not_truncated(raw: dict) -> None:
    raw["shippingLines"]["pageInfo"]["hasNextPage"] = True
    with pytest.raises(ValueError, match="more shipping lines"):
        translate.order(raw)


def test_bulk_shaped_order_without_page_info_translates(raw: dict) -> None:
    raw["lineItems"] = {"nodes": raw["lineItems"]["nodes"]}
    raw["shippingLines"] = {"nodes": []}
    assert len(translate.order(raw).lines) == 2


def test_product_variant_translation() -> None:
    product = {"id": "gid://shopify/Product/1", "title": "Logo Tee", "descriptionHtml": "<p>Soft.</p>", "status": "DRAFT"}
    variant = {"id": "gid://shopify/ProductVariant/2", "sku": "TEE-M", "title": "M", "price": "25.00", "inventoryQuantity": 7,
               "inventoryItem": {"id": "gid://shopify/InventoryItem/3", "measurement": {"weight": {"value": 0.2, "unit": "POUNDS"}}}}
    record = translate.product(product, variant)
    assert (record.sku, record.external_id, record.parent_id, record.variant_title) == ("TEE-M", variant["id"], product["id"], "M")
    assert (record.price, record.weight, record.weight_unit, record.active, record.quantity) == (
        Decimal("25.00"), Decimal("0.2"), "lb", False, 7)
    assert translate.product(product, {**variant, "title": "Default Title"}).variant_title is None


def test_product_inputs_carry_what_ecom_owns() -> None:
    record = CartProduct(sku="W-1", name="Widget", description="<p>Hi</p>", price=Decimal("12.34"),
                         weight=Decimal("0.5"), weight_unit="kg", active=False)
    created = translate.product_set_input(record)
    assert created["title"] == "Widget" and created["status"] == "DRAFT" and created["descriptionHtml"] == "<p>Hi</p>"
    [variant] = created["variants"]
    assert variant["price"] == "12.34" and variant["inventoryItem"]["sku"] == "W-1"
    assert variant["inventoryItem"]["measurement"] == {"weight": {"value": 0.5, "unit": "KILOGRAMS"}}
    assert variant["optionValues"] == [{"optionName": "Title", "name": "Default Title"}]
    assert created["productOptions"] == [{"name": "Title", "values": [{"name": "Default Title"}]}]


def test_user_errors_in_shopifys_words() -> None:
    errors = [{"field": ["input", "quantities", "0", "locationId"], "message": "The specified location could not be found."},
              {"field": None, "message": "Throttled"}]
    assert translate.user_errors(errors) == "input.quantities.0.locationId: The specified location could not be found.; Throttled"
