"""The mapping engine: one canonical order + an integration's settings → a transaction draft.

Pure: it reads the back office only through :class:`~ecom.mapping.lookups.Lookups` and writes
nothing. The order of the rules is the order of SPEC §2: archived and filters first, then what
every order must be (:mod:`~ecom.mapping.checks`: an order that breaks one of these rules gets
only those errors, since mapping it further would only add noise), then the tax plan (it decides the proxy), the customer and ship-to, lines, freight, fees, discounts,
totals, payment, and the transaction's header (type, status, location, class, web order number,
hold). Every problem found is collected; an order with any error gets no draft, so it is never
imported half.

Totals: the draft keeps the cart's tax. Lines + freight + fees − discounts + tax must equal the
cart's total. A difference of at most one cent per line comes from rounding tax-inclusive prices
and is moved into the tax, with a warning; a larger one is an error saying by how much.
"""

from __future__ import annotations

from decimal import Decimal

from ecom.mapping import checks, customers, discounts, filters, lines, payments, shipping, tax
from ecom.mapping.draft import MappingOutcome, Note, TransactionDraft, cents
from ecom.mapping.lookups import Lookups
from ecom.mapping.notes import Notes
from ecom.records import CartOrder
from ecom.settings import IntegrationSettings

ZERO = Decimal(0)


def map_order(order: CartOrder, settings: IntegrationSettings, lookups: Lookups) -> MappingOutcome:
    """Map one order. See the module docstring for the rules and their order."""
    prefs = settings.preferences
    reason = filters.skip_reason(order, prefs)
    if reason is not None:  # a test order skipped is said, lest the merchant miss one that is not
        said = [Note(rule="test order", message=f"skipped: {reason}")] if order.test else []
        return MappingOutcome(order=order.number, skipped=reason, warnings=said)

    notes = Notes()
    checks.check_order(order, notes)
    if notes.errors:
        return MappingOutcome(order=order.number, warnings=notes.warnings, errors=notes.errors)
    plan = tax.plan_tax(order, settings.sales_tax, lookups, notes)
    customer = customers.choose_customer(
        order, prefs, plan.taxable, lookups, notes, {"sales_tax_code": plan.code, "item_sales_tax": plan.item_tax}
    )
    ship_to = customers.choose_ship_to(order, customer, prefs, lookups)

    drafted = [line for cart_line in order.lines if (line := lines.item_line(cart_line, order, plan, lookups, settings, notes))]
    drafted += lines.fee_lines(order, plan, settings, notes)
    freight = shipping.freight(order, settings.shipping, plan, lookups, notes)
    if freight.line is not None:
        drafted.append(freight.line)
    drafted += discounts.discount_lines(order, settings.discounts, notes)
    freight_box = ZERO if freight.line is not None else freight.amount

    subtotal = sum((line.amount for line in drafted if line.kind != "discount"), ZERO)
    discount = -sum((line.amount for line in drafted if line.kind == "discount"), ZERO)
    tax_amount = order.total_tax
    difference = order.total - (subtotal + freight_box - discount + tax_amount)
    if difference and not notes.errors:
        tolerance = Decimal("0.01") * max(len(drafted), 1)
        if abs(difference) <= tolerance:
            tax_amount += difference
            notes.warn("total", f"rounding: tax adjusted by {difference} so the total equals the cart's {order.total}")
        else:
            notes.error(
                "total",
                f"the transaction would total {cents(order.total - difference)} but the cart's total is {order.total} "
                f"(off by {difference}): lines {subtotal} + freight {freight_box} - discounts {discount} + tax {tax_amount}",
            )
    if not notes.errors:
        tax.check_tax(order, plan, drafted, freight.amount, notes)

    paid = payments.payments(order, settings.payments, order.total, lookups, notes)
    hold_over = prefs.hold_if_total_over
    hold = hold_over is not None and order.total > hold_over
    custom = {prefs.web_order_number_field: order.number} if prefs.web_order_number_field else {}
    accounting = None
    if not prefs.use_proxy_on_orders and (prefs.taxable_proxy or prefs.nontaxable_proxy):
        accounting = prefs.taxable_proxy if plan.taxable else prefs.nontaxable_proxy

    if notes.errors:
        return MappingOutcome(order=order.number, warnings=notes.warnings, errors=notes.errors)
    draft = TransactionDraft(
        type=prefs.transaction_type,
        status=prefs.initial_status,
        date=order.created_at.date(),
        currency=checks.currency_code(order.currency),
        web_order_number=order.number,
        cart_order_id=order.external_id,
        customer=customer,
        accounting_customer=accounting,
        bill_to=order.billing,
        ship_to=ship_to,
        location=prefs.location,
        class_=prefs.class_,
        ship_method=freight.method,
        taxable=plan.taxable,
        sales_tax_code=plan.code,
        item_sales_tax=plan.item_tax,
        freight_sales_tax=freight.tax,
        lines=drafted,
        subtotal=subtotal,
        freight=freight_box,
        discount=discount,
        tax=tax_amount,
        total=order.total,
        payments=paid,
        hold=hold,
        hold_reason=f"total {order.total} is greater than {hold_over}" if hold else None,
        custom_fields=custom,
    )
    return MappingOutcome(order=order.number, draft=draft, warnings=notes.warnings)
