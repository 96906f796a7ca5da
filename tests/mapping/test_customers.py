"""Preferences: proxies, customer matching, ship-to matching, defaults for new customers."""

from __future__ import annotations

import pytest

from ecom.mapping import map_order
from ecom.mapping.lookups import normalise

from .conftest import address_key, sample_order


@pytest.mark.parametrize(
    ("rule", "key"),
    [
        ("email", "dana.keller@example.net"),
        ("cart_id", "7312345678901"),
        ("name_postal", normalise("Dana Keller", "10001")),
    ],
)
def test_an_existing_customer_is_matched_by_the_chosen_rule(settings, back_office, rule, key):
    back_office.add_customer("Dana K.", **{rule: key})
    settings.preferences.customer_match = rule
    customer = map_order(sample_order(), settings, back_office).draft.customer
    assert (customer.action, customer.name) == ("existing", "Dana K.")
    assert customer.rule.startswith("matched by")


def test_match_by_company(settings, back_office):
    back_office.add_customer("Acme Corp", company=normalise("ACME  corp"))
    settings.preferences.customer_match = "company"
    order = sample_order(billing={**sample_order().billing.model_dump(), "company": "Acme Corp"})
    assert map_order(order, settings, back_office).draft.customer.name == "Acme Corp"


def test_no_match_creates_a_customer_with_the_defaults(settings, back_office):
    settings.preferences.customer_type = "Web"
    settings.preferences.sales_rep = "House"
    customer = map_order(sample_order(), settings, back_office).draft.customer
    assert customer.action == "create"
    new = customer.new
    assert (new.name, new.email, new.customer_type, new.sales_rep) == ("Dana Keller", "Dana.Keller@example.net", "Web", "House")
    assert (new.sales_tax_code, new.item_sales_tax, new.taxable, new.cart_id) == ("Tax", "NY 8.875%", True, "7312345678901")


def test_guest_checkout_without_email_falls_back_to_name_and_postal_code(settings, back_office):
    back_office.add_customer("Dana Keller", name_postal=normalise("Dana Keller", "10001"))
    order = sample_order(customer={"first_name": "Dana", "last_name": "Keller"})
    customer = map_order(order, settings, back_office).draft.customer
    assert customer.action == "existing"
    assert "no email on the order, so by full name and postal code" in customer.rule


def test_guest_with_nothing_to_match_on_gets_a_new_customer_named_after_the_order(settings, back_office):
    order = sample_order(customer=None, billing=None, shipping=None)
    customer = map_order(order, settings, back_office).draft.customer
    assert (customer.action, customer.name) == ("create", "Web customer #1042")


@pytest.mark.parametrize(("tax", "exempt", "proxy"), [("4.99", False, "Web Taxable"), ("0", False, "Web Exempt"), ("4.99", True, "Web Exempt")])
def test_use_proxy_on_orders_assigns_the_proxy_for_the_tax_class_and_creates_no_customer(settings, back_office, tax, exempt, proxy):
    settings.preferences.taxable_proxy, settings.preferences.nontaxable_proxy = "Web Taxable", "Web Exempt"
    settings.preferences.use_proxy_on_orders = True
    order = sample_order(customer={"external_id": "9", "email": "x@example.com", "tax_exempt": exempt}, total_tax=tax,
                         total=str(67.14 - 4.99 + float(tax)))
    draft = map_order(order, settings, back_office).draft
    assert (draft.customer.action, draft.customer.name, draft.customer.new) == ("proxy", proxy, None)
    assert draft.ship_to.action == "none" and draft.ship_to.address.city == "New York"  # address kept on the order
    assert draft.bill_to.line1 == "210 W 29th St"


def test_proxies_without_use_on_orders_still_create_the_customer_and_name_the_accounting_proxy(settings, back_office):
    settings.preferences.taxable_proxy, settings.preferences.nontaxable_proxy = "Web Taxable", "Web Exempt"
    draft = map_order(sample_order(), settings, back_office).draft
    assert draft.customer.action == "create"
    assert draft.accounting_customer == "Web Taxable"


def test_a_missing_proxy_customer_is_an_error(settings, back_office):
    settings.preferences.taxable_proxy = settings.preferences.nontaxable_proxy = "Ghost"
    settings.preferences.use_proxy_on_orders = True
    outcome = map_order(sample_order(), settings, back_office)
    assert outcome.draft is None and "'Ghost' does not exist" in outcome.errors[0].message


def test_ship_to_matched_by_normalised_address(settings, back_office):
    back_office.add_customer("Dana Keller", email="dana.keller@example.net")
    back_office.ship_tos[("Dana Keller", address_key(sample_order()))] = 41
    ship_to = map_order(sample_order(), settings, back_office).draft.ship_to
    assert (ship_to.action, ship_to.existing_id) == ("existing", 41)


def test_ship_to_always_new(settings, back_office):
    back_office.add_customer("Dana Keller", email="dana.keller@example.net")
    back_office.ship_tos[("Dana Keller", address_key(sample_order()))] = 41
    settings.preferences.ship_to_match = "always_new"
    assert map_order(sample_order(), settings, back_office).draft.ship_to.action == "create"
