"""Payment Method Mapping: grid, default, blank = no payment, AR term = no payment."""

from __future__ import annotations

from decimal import Decimal as D

from ecom.mapping import map_order

from .conftest import sample_order


def test_a_mapped_cart_payment_method_records_its_payment(settings, back_office):
    draft = map_order(sample_order(payments=[{"method": "PayPal", "reference": "PAY-1"}]), settings, back_office).draft
    assert [(p.method, p.term, p.amount, p.reference) for p in draft.payments] == [("PayPal", "Prepaid", D("67.14"), "PAY-1")]


def test_an_unmapped_method_uses_the_global_default(settings, back_office):
    draft = map_order(sample_order(), settings, back_office).draft
    assert [(p.method, p.term) for p in draft.payments] == [("Credit Card", "Prepaid")]


def test_import_payment_off_records_nothing(settings, back_office):
    settings.payments.import_payment = False
    assert map_order(sample_order(), settings, back_office).draft.payments == []


def test_blank_method_and_term_record_no_payment(settings, back_office):
    settings.payments.default_method = settings.payments.default_term = None
    outcome = map_order(sample_order(), settings, back_office)
    assert outcome.draft.payments == []
    assert "no payment recorded" in outcome.warnings[0].message


def test_an_accounts_receivable_term_records_no_payment(settings, back_office):
    settings.payments.default_term = "Net 30"
    assert map_order(sample_order(), settings, back_office).draft.payments == []


def test_split_payments_with_amounts_are_recorded_each(settings, back_office):
    payments = [{"method": "gift_card", "amount": "10.00"}, {"method": "paypal", "amount": "57.14"}]
    draft = map_order(sample_order(payments=payments), settings, back_office).draft
    assert [(p.method, p.amount) for p in draft.payments] == [("Credit Card", D("10.00")), ("PayPal", D("57.14"))]
