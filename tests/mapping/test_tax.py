"""Sales Tax Mapping: taxable decision, state from billing or shipping, grid, defaults, non-US."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from ecom.mapping import map_order

from .conftest import sample_order

US_CA = {"first_name": "Ana", "last_name": "Ruiz", "line1": "1 Market St", "city": "San Francisco", "state": "CA", "postal_code": "94105", "country": "US"}
US_TX = {**US_CA, "city": "Austin", "state": "TX", "postal_code": "78701"}
CANADA = {"first_name": "Émile", "last_name": "Tremblay", "line1": "1 Rue Sainte-Catherine", "city": "Montréal", "state": "QC", "postal_code": "H2X 1Z4", "country": "CA"}
GERMANY = {"first_name": "Jonas", "last_name": "Weber", "line1": "Torstraße 140", "city": "Berlin", "state": "BE", "postal_code": "10119", "country": "DE"}


def mapped(settings, back_office, **changes):
    outcome = map_order(sample_order(**changes), settings, back_office)
    assert outcome.errors == []
    return outcome


def test_taxable_customer_in_a_grid_state_gets_the_states_item_sales_tax(settings, back_office):
    draft = mapped(settings, back_office).draft
    assert (draft.taxable, draft.sales_tax_code, draft.item_sales_tax) == (True, "Tax", "NY 8.875%")
    assert all(l.item_sales_tax == "NY 8.875%" for l in draft.lines if l.kind == "item")


def test_taxable_customer_in_a_state_without_a_row_gets_the_default(settings, back_office):
    draft = map_order(sample_order(billing=US_TX, shipping=US_TX), settings, back_office).draft
    assert draft.item_sales_tax == "Default 6%"


def test_state_from_shipping_address_when_set(settings, back_office):
    settings.sales_tax.state_from = "shipping"
    draft = map_order(sample_order(shipping=US_CA), settings, back_office).draft
    assert draft.item_sales_tax == "CA 7.25%"


def test_state_falls_back_to_the_other_address_with_a_warning(settings, back_office):
    settings.sales_tax.state_from = "shipping"
    outcome = map_order(sample_order(shipping=None), settings, back_office)
    assert outcome.draft.item_sales_tax == "NY 8.875%"
    assert any("no shipping address" in w.message for w in outcome.warnings)


@pytest.mark.parametrize("exempt", [True, False])
def test_non_taxable_customers_get_the_non_taxable_defaults(settings, back_office, exempt):
    changes = {"customer": {"email": "a@b.c", "tax_exempt": True}} if exempt else {"total_tax": "0", "total": "62.15", "tax_lines": []}
    if not exempt:
        changes["lines"] = [{**l.model_dump(mode="json"), "tax_lines": []} for l in sample_order().lines]
    draft = map_order(sample_order(**changes), settings, back_office).draft
    assert (draft.taxable, draft.sales_tax_code, draft.item_sales_tax) == (False, "Non", "Exempt")
    assert not any(l.taxable for l in draft.lines)


def test_a_tax_exempt_customer_charged_tax_is_kept_as_charged_with_a_warning(settings, back_office):
    outcome = map_order(sample_order(customer={"email": "a@b.c", "tax_exempt": True}), settings, back_office)
    assert outcome.draft.tax == D("4.99")
    assert any("tax-exempt" in w.message for w in outcome.warnings)


@pytest.mark.parametrize("address", [CANADA, GERMANY], ids=["canada", "germany"])
def test_non_us_customers_get_only_the_sales_tax_code(settings, back_office, address):
    draft = map_order(sample_order(billing=address, shipping=address), settings, back_office).draft
    assert draft.sales_tax_code == "Tax"
    assert draft.item_sales_tax is None
    assert all(l.item_sales_tax is None and not l.taxable for l in draft.lines)


def test_a_mapped_rate_that_gives_another_tax_is_a_warning_and_the_carts_tax_is_kept(settings, back_office):
    settings.sales_tax.states = {"NY": "CA 7.25%"}
    outcome = map_order(sample_order(), settings, back_office)
    assert outcome.draft.tax == D("4.99")
    (warning,) = [w for w in outcome.warnings if w.rule == "sales tax"]
    assert "mapped tax 4.08" in warning.message and "cart's 4.99" in warning.message


def test_several_tax_lines_add_up_to_the_carts_tax(settings, back_office):
    lines = [
        {"external_id": "1", "sku": "TEE-BLK-M", "quantity": 2, "unit_price": "25.00", "discount": "5.00",
         "tax_lines": [{"title": "NY State", "rate": "0.04", "amount": "1.80"}, {"title": "NYC", "rate": "0.04875", "amount": "2.19"}]},
        {"external_id": "2", "sku": "MUG-WHT", "quantity": 1, "unit_price": "12.50", "discount": "1.25",
         "tax_lines": [{"title": "NY State", "rate": "0.04", "amount": "0.45"}, {"title": "NYC", "rate": "0.04875", "amount": "0.55"}]},
    ]
    outcome = map_order(sample_order(lines=lines), settings, back_office)
    assert outcome.errors == [] and outcome.warnings == []
    assert outcome.draft.tax == D("4.99")


def test_an_unknown_item_sales_tax_in_the_settings_is_an_error(settings, back_office):
    settings.sales_tax.states = {"NY": "Nowhere 1%"}
    outcome = map_order(sample_order(), settings, back_office)
    assert "'Nowhere 1%' does not exist" in outcome.errors[0].message
