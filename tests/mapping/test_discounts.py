"""Discount Mapping: codes through the grid or the default, so the total equals the cart's."""

from __future__ import annotations

from decimal import Decimal as D

from ecom.mapping import map_order

from .conftest import sample_order


def test_a_mapped_code_becomes_its_discount_line(settings, back_office):
    lines = [l for l in map_order(sample_order(), settings, back_office).draft.lines if l.kind == "discount"]
    assert [(l.sku, l.description, l.amount) for l in lines] == [("Welcome", "WELCOME10", D("-6.25"))]


def test_an_unmapped_code_uses_the_default_discount(settings, back_office):
    order = sample_order(discounts=[{"code": "BLACKFRIDAY", "amount": "6.25"}])
    lines = [l for l in map_order(order, settings, back_office).draft.lines if l.kind == "discount"]
    assert [l.sku for l in lines] == ["Web Discount"]


def test_an_unmapped_code_without_a_default_is_an_error(settings, back_office):
    settings.discounts.default_discount = None
    outcome = map_order(sample_order(discounts=[{"code": "BLACKFRIDAY", "amount": "6.25"}]), settings, back_office)
    assert outcome.draft is None and "'BLACKFRIDAY' is not mapped" in outcome.errors[0].message


def test_automatic_discounts_without_a_code_get_one_default_line(settings, back_office):
    order = sample_order(discounts=[])
    lines = [l for l in map_order(order, settings, back_office).draft.lines if l.kind == "discount"]
    assert [(l.sku, l.amount) for l in lines] == [("Web Discount", D("-6.25"))]


def test_a_free_shipping_code_is_a_discount_on_freight(settings, back_office):
    order = sample_order(
        shipping_lines=[{"title": "Standard (3-5 days)", "price": "5.90", "discount": "5.90"}],
        discounts=[{"code": "WELCOME10", "amount": "6.25"}, {"code": "FREESHIP", "amount": "5.90"}],
        total="61.24",
    )
    draft = map_order(order, settings, back_office).draft
    assert draft.freight == D("5.90") and draft.discount == D("12.15")
    assert draft.subtotal + draft.freight - draft.discount + draft.tax == D("61.24")
