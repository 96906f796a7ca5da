"""The whole order, end to end through the rules: the draft matches the cart, or says why not."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from ecom.mapping import map_order

from .conftest import sample_order


def test_the_documented_example_order_maps_to_a_balanced_draft(settings, back_office):
    outcome = map_order(sample_order(), settings, back_office)
    assert outcome.errors == [] and outcome.warnings == []
    draft = outcome.draft
    assert [(l.kind, l.sku, l.quantity, l.amount) for l in draft.lines] == [
        ("item", "TEE-BLK-M", D(2), D("50.00")),
        ("item", "MUG-WHT", D(1), D("12.50")),
        ("discount", "Welcome", D(1), D("-6.25")),
    ]
    assert (draft.subtotal, draft.freight, draft.discount, draft.tax, draft.total) == (
        D("62.50"), D("5.90"), D("6.25"), D("4.99"), D("67.14"),
    )
    assert draft.subtotal + draft.freight - draft.discount + draft.tax == draft.total
    assert (draft.sales_tax_code, draft.item_sales_tax, draft.taxable) == ("Tax", "NY 8.875%", True)
    assert (draft.type, draft.status, draft.location, draft.class_) == ("sales_order", "open", "Main", "Web")
    assert draft.web_order_number == "#1042" and draft.ship_method == "UPS Ground"
    assert draft.date.isoformat() == "2025-03-14"


def test_mapping_the_same_order_twice_gives_the_same_answer(settings, back_office):
    assert map_order(sample_order(), settings, back_office) == map_order(sample_order(), settings, back_office)


def test_unknown_skus_are_all_named_and_the_order_gets_no_draft(settings, back_office):
    order = sample_order(lines=[
        {"external_id": "1", "sku": "NOPE-1", "quantity": 1, "unit_price": "10"},
        {"external_id": "2", "sku": "NOPE-2", "quantity": 1, "unit_price": "10"},
        {"external_id": "3", "name": "Engraving", "quantity": 1, "unit_price": "5"},
    ])
    outcome = map_order(order, settings, back_office)
    assert outcome.draft is None
    messages = [e.message for e in outcome.errors]
    assert any("'NOPE-1'" in m for m in messages) and any("'NOPE-2'" in m for m in messages)
    assert any("'Engraving' has no SKU" in m for m in messages)


def test_create_missing_items_setting_lets_an_unknown_sku_through_as_a_new_item(settings, back_office):
    settings.preferences.create_missing_items = True
    order = sample_order(lines=[{"external_id": "1", "sku": "NEW-1", "name": "New thing", "quantity": 2, "unit_price": "25.00", "discount": "5.00"},
                               {"external_id": "2", "sku": "MUG-WHT", "quantity": 1, "unit_price": "12.50", "discount": "1.25"}])
    draft = map_order(order, settings, back_office).draft
    assert draft.lines[0].new_item and draft.lines[0].description == "New thing"


def test_a_total_that_does_not_add_up_is_an_error_saying_by_how_much(settings, back_office):
    outcome = map_order(sample_order(total="70.00"), settings, back_office)
    assert outcome.draft is None
    assert "off by 2.86" in outcome.errors[0].message and "70.00" in outcome.errors[0].message


@pytest.mark.parametrize(("threshold", "hold"), [(None, False), ("67.14", False), ("67.13", True), ("0", True)])
def test_hold_when_total_greater_than_threshold(settings, back_office, threshold, hold):
    settings.preferences.hold_if_total_over = None if threshold is None else D(threshold)
    draft = map_order(sample_order(), settings, back_office).draft
    assert draft.hold is hold
    assert (draft.hold_reason is not None) is hold


def test_web_order_number_is_copied_to_the_chosen_custom_field(settings, back_office):
    settings.preferences.web_order_number_field = "Web Order #"
    draft = map_order(sample_order(), settings, back_office).draft
    assert draft.custom_fields == {"Web Order #": "#1042"} and draft.web_order_number == "#1042"


def test_ship_doc_type_and_initial_status(settings, back_office):
    settings.preferences.transaction_type = "ship_doc"
    settings.preferences.initial_status = "released"
    draft = map_order(sample_order(), settings, back_office).draft
    assert (draft.type, draft.status) == ("ship_doc", "released")


def test_hundred_percent_discount_leaves_only_freight_and_tax(settings, back_office):
    order = sample_order(
        lines=[{"external_id": "1", "sku": "TEE-BLK-M", "quantity": 2, "unit_price": "25.00", "discount": "50.00"}],
        discounts=[{"code": "FREEBIE", "amount": "50.00"}],
        tax_lines=[], total_tax="0", total="5.90",
    )
    draft = map_order(order, settings, back_office).draft
    assert draft.discount == D("50.00") and draft.subtotal == D("50.00") and draft.total == D("5.90")
    assert [l.sku for l in draft.lines if l.kind == "discount"] == ["Web Discount"]  # FREEBIE unmapped -> default


def test_free_shipping_means_no_freight_and_no_freight_error(settings, back_office):
    settings.shipping.default_method = "Pickup"  # has no other-charge item: fine while freight is 0
    order = sample_order(shipping_lines=[{"title": "Free shipping", "price": "0.00"}], total="61.24")
    outcome = map_order(order, settings, back_office)
    assert outcome.errors == []
    assert outcome.draft.freight == D("0")


def test_order_with_no_shipping_address_keeps_billing_and_creates_no_ship_to(settings, back_office):
    outcome = map_order(sample_order(shipping=None), settings, back_office)
    assert outcome.draft.ship_to.action == "none"
    assert outcome.draft.bill_to.city == "New York"


def test_tax_inclusive_order_takes_tax_out_of_prices_and_still_balances(settings, back_office):
    """The German example of cart-apis.md §2.8 in spirit: 19 % VAT included in prices."""
    order = sample_order(
        currency="EUR",
        billing={"first_name": "Jonas", "last_name": "Weber", "line1": "Torstraße 140", "city": "Berlin", "state": "BE", "postal_code": "10119", "country": "DE"},
        shipping={"first_name": "Jonas", "last_name": "Weber", "line1": "Torstraße 140", "city": "Berlin", "state": "BE", "postal_code": "10119", "country": "DE"},
        taxes_included=True,
        lines=[{"external_id": "1", "sku": "TEE-BLK-M", "quantity": 1, "unit_price": "59.50", "discount": "5.95",
                "tax_lines": [{"title": "MwSt.", "rate": "0.19", "amount": "8.55"}]}],
        shipping_lines=[{"title": "DHL Paket", "price": "5.00", "tax_lines": [{"title": "MwSt.", "rate": "0.19", "amount": "0.80"}]}],
        discounts=[{"code": "spring10", "amount": "5.95"}],
        total_tax="9.35", total="58.55",
    )
    outcome = map_order(order, settings, back_office)
    assert outcome.errors == []
    draft = outcome.draft
    assert draft.subtotal + draft.freight - draft.discount + draft.tax == D("58.55")
    assert draft.lines[0].amount == D("50.00")  # 59.50 gross incl. 19 % VAT
    assert draft.freight == D("4.20")
    assert (draft.sales_tax_code, draft.item_sales_tax) == ("Tax", None)  # non-US: the code only
