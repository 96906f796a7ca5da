"""What every order must be before it is mapped, and what a person would accept (issue 10).

Each refused order gets exactly one error naming the field and the value, and no draft; orders a
person would accept (a SKU with spaces, a state written in full, a lower-case currency) map.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from ecom.mapping import map_order
from ecom.mapping.checks import MAX_LINE_QUANTITY

from .conftest import sample_order

LINES = sample_order().model_dump(mode="json")["lines"]


def _lines(**changes) -> list[dict]:
    lines = [dict(line) for line in LINES]
    lines[1].update(changes)
    return lines


REFUSED = [
    ("quantity 0", {"lines": _lines(quantity=0)}, ("line 2 ('Enamel Mug') quantity 0", "at least 1")),
    ("negative quantity", {"lines": _lines(quantity=-3)}, ("line 2 ('Enamel Mug') quantity -3",)),
    ("absurd quantity", {"lines": _lines(quantity=2**31 - 1)}, ("quantity 2147483647", f"{MAX_LINE_QUANTITY:,}")),
    ("negative unit price", {"lines": _lines(unit_price="-12.50")}, ("line 2 ('Enamel Mug') unit_price -12.50", "negative")),
    ("negative discount", {"lines": _lines(discount="-1.25")}, ("discount -1.25", "negative")),
    ("discount above the line", {"lines": _lines(discount="43.85")}, ("discount 43.85", "more than the line's 12.50")),
    ("negative freight", {"shipping_lines": [{"title": "Standard (3-5 days)", "price": "-5.90"}]}, ("shipping line 'Standard (3-5 days)' price -5.90",)),
    ("shipping discount above its price", {"shipping_lines": [{"title": "Ground", "price": "5.90", "discount": "9.00"}]}, ("discount 9.00", "more than its price 5.90")),
    ("codes above the goods", {"discounts": [{"code": "WELCOME10", "amount": "99.00"}]}, ("'WELCOME10'", "99.00", "more than the goods")),
    ("no item lines", {"lines": []}, ("no item lines",)),
    ("no currency", {"currency": "XXX"}, ("currency 'XXX'",)),
    ("testing currency", {"currency": "XTS"}, ("currency 'XTS'",)),
    ("gold", {"currency": "XAU"}, ("currency 'XAU'",)),
    ("not ISO 4217", {"currency": "ABC"}, ("currency 'ABC'", "ISO 4217")),
    ("one line id twice", {"lines": _lines(external_id="1")}, ("line id '1' is on 2 lines",)),
]


@pytest.mark.parametrize("case, changes, words", REFUSED, ids=[c[0] for c in REFUSED])
def test_an_order_that_breaks_a_rule_gets_one_error_naming_the_field_and_value(settings, back_office, case, changes, words):
    outcome = map_order(sample_order(**changes), settings, back_office)
    assert outcome.draft is None and not outcome.ok
    assert len(outcome.errors) == 1, outcome.errors
    message = outcome.errors[0].message
    assert all(w in message for w in words), message


def test_the_largest_quantity_allowed_is_imported(settings, back_office):
    big = _lines(quantity=MAX_LINE_QUANTITY, discount="0", tax_lines=[])
    total = D("62.50") - D("5.00") + D("12.50") * (MAX_LINE_QUANTITY - 1) + D("5.90") + D("3.99")
    outcome = map_order(
        sample_order(lines=big, discounts=[{"code": "WELCOME10", "amount": "5.00"}], total_tax="3.99", total=str(total)), settings, back_office
    )
    assert outcome.errors == [] and outcome.draft.lines[1].quantity == MAX_LINE_QUANTITY


def test_a_lower_case_currency_is_read_as_its_code(settings, back_office):
    outcome = map_order(sample_order(currency="usd"), settings, back_office)
    assert outcome.errors == [] and outcome.draft.currency == "USD"


def test_a_sku_with_spaces_around_it_is_matched_trimmed_with_a_warning(settings, back_office):
    outcome = map_order(sample_order(lines=_lines(sku=" MUG-WHT ")), settings, back_office)
    assert outcome.errors == []
    assert outcome.draft.lines[1].sku == "MUG-WHT" and outcome.draft.lines[1].description == "Enamel Mug"
    assert [w.message for w in outcome.warnings if w.rule == "item"] == [
        "SKU ' MUG-WHT ' (line 'Enamel Mug') has spaces around it in the cart; matched as 'MUG-WHT'"
    ]


@pytest.mark.parametrize("written", ["New York", "new york", "US-NY", "  NY "])
def test_a_us_state_written_in_full_finds_its_grid_row(settings, back_office, written):
    address = {**sample_order().model_dump(mode="json")["billing"], "state": written}
    outcome = map_order(sample_order(billing=address, shipping=address), settings, back_office)
    assert outcome.errors == [] and outcome.draft.item_sales_tax == "NY 8.875%"
    assert not [w for w in outcome.warnings if w.rule == "sales tax"]


def test_a_canadian_province_written_in_full_finds_its_grid_row(settings, back_office):
    settings.sales_tax.home_country = "CA"
    settings.sales_tax.states = {"QC": "CA 7.25%"}  # any item sales tax: the row is what is tested
    address = {**sample_order().model_dump(mode="json")["billing"], "state": "Québec", "country": "CA"}
    outcome = map_order(sample_order(billing=address, shipping=address, currency="CAD"), settings, back_office)
    assert outcome.errors == [] and outcome.draft.item_sales_tax == "CA 7.25%"


def test_a_non_taxable_customers_freight_in_the_freight_box_gets_the_shipping_sales_tax(settings, back_office):
    order = sample_order(total_tax="0", tax_lines=[], total="62.15", lines=[{**line, "tax_lines": []} for line in LINES])
    outcome = map_order(order, settings, back_office)
    assert outcome.errors == []
    draft = outcome.draft
    assert not draft.taxable and draft.freight == D("5.90") and not any(l.kind == "freight" for l in draft.lines)
    assert draft.freight_sales_tax == "Exempt"


def test_a_taxable_customers_taxed_freight_in_the_freight_box_gets_the_states_tax(settings, back_office):
    shipping = [{"title": "Standard (3-5 days)", "price": "5.90", "tax_lines": [{"title": "NY", "amount": "0.52"}]}]
    outcome = map_order(sample_order(shipping_lines=shipping, total_tax="5.51", total="67.66"), settings, back_office)
    assert outcome.errors == [] and outcome.draft.freight_sales_tax == "NY 8.875%"


def test_no_freight_no_freight_sales_tax(settings, back_office):
    order = sample_order(total_tax="0", tax_lines=[], total="56.25", shipping_lines=[], lines=[{**line, "tax_lines": []} for line in LINES])
    outcome = map_order(order, settings, back_office)
    assert outcome.errors == [] and outcome.draft.freight_sales_tax is None
