"""Ship Method Mapping: grid by cart method text and carrier, default with a warning, freight."""

from __future__ import annotations

from decimal import Decimal as D

from ecom.mapping import map_order

from .conftest import sample_order


def ship(title, carrier=None, price="5.90", code=None):
    return [{"title": title, "carrier": carrier, "price": price, "code": code}]


def test_cart_method_text_picks_the_grid_row(settings, back_office):
    draft = map_order(sample_order(shipping_lines=ship("standard  (3-5 DAYS)")), settings, back_office).draft
    assert draft.ship_method == "UPS Ground"


def test_a_row_with_a_carrier_needs_that_carrier(settings, back_office):
    assert map_order(sample_order(shipping_lines=ship("Priority Mail", "USPS")), settings, back_office).draft.ship_method == "USPS Priority"
    outcome = map_order(sample_order(shipping_lines=ship("Priority Mail", "FedEx")), settings, back_office)
    assert outcome.draft.ship_method == "UPS Ground"
    assert "'Priority Mail' (FedEx) is not mapped" in outcome.warnings[0].message


def test_an_unknown_ship_method_uses_the_default_and_warns(settings, back_office):
    outcome = map_order(sample_order(shipping_lines=ship("Drone delivery")), settings, back_office)
    assert outcome.draft.ship_method == "UPS Ground"
    assert [w.rule for w in outcome.warnings] == ["ship method"]


def test_freight_in_the_freight_box_needs_an_other_charge_item(settings, back_office):
    settings.shipping.default_method = "Pickup"
    outcome = map_order(sample_order(shipping_lines=ship("Curbside")), settings, back_office)
    assert outcome.draft is None
    assert "'Pickup' has no other-charge item" in outcome.errors[0].message


def test_freight_as_a_separate_line(settings, back_office):
    settings.shipping.freight_item = "SHIP"
    settings.shipping.freight_as_line = True
    draft = map_order(sample_order(), settings, back_office).draft
    assert draft.freight == D("0")
    (line,) = [l for l in draft.lines if l.kind == "freight"]
    assert (line.sku, line.amount, line.description) == ("SHIP", D("5.90"), "Standard (3-5 days)")
    assert draft.subtotal + draft.freight - draft.discount + draft.tax == draft.total


def test_no_shipping_lines_uses_the_default_method_silently(settings, back_office):
    outcome = map_order(sample_order(shipping_lines=[], total="61.24"), settings, back_office)
    assert outcome.warnings == [] and outcome.draft.ship_method == "UPS Ground"


def test_fees_become_lines_with_the_fee_item(settings, back_office):
    outcome = map_order(sample_order(fees=[{"name": "Gift wrap", "amount": "3.00"}], total="70.14"), settings, back_office)
    (fee,) = [l for l in outcome.draft.lines if l.kind == "fee"]
    assert (fee.sku, fee.amount, fee.description) == ("WRAP", D("3.00"), "Gift wrap")


def test_fees_without_a_fee_item_are_an_error(settings, back_office):
    settings.shipping.fee_item = None
    outcome = map_order(sample_order(fees=[{"name": "Gift wrap", "amount": "3.00"}], total="70.14"), settings, back_office)
    assert "no fee item is set" in outcome.errors[0].message
