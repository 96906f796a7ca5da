"""Payment method mapping: which payment, if any, is recorded on the order.

Only with *import payment* on. The cart's payment method text picks a grid row (method + term),
else the global default. A blank method records no payment (payments are entered by hand), and
so does a term of type accounts receivable (no cash payment).
"""

from __future__ import annotations

from decimal import Decimal

from ecom.mapping.draft import PaymentDraft
from ecom.mapping.lookups import Lookups
from ecom.mapping.notes import Notes
from ecom.records import CartOrder
from ecom.settings import Payments


def payments(order: CartOrder, settings: Payments, total: Decimal, lookups: Lookups, notes: Notes) -> list[PaymentDraft]:
    if not settings.import_payment:
        return []
    rows = {row.cart_method.strip().casefold(): row for row in settings.methods}
    cart_payments = order.payments or []
    paid = [p for p in cart_payments if p.amount is not None]
    split = len(paid) == len(cart_payments) and len(paid) > 1
    wanted = [(p.method, p.amount, p.reference) for p in paid] if split else [
        (cart_payments[0].method if cart_payments else "", total, cart_payments[0].reference if cart_payments else None)
    ]
    drafts = []
    for text, amount, reference in wanted:
        row = rows.get(text.strip().casefold())
        method, term = (row.method, row.term) if row else (settings.default_method, settings.default_term)
        if method is None:
            if text:
                notes.warn("payment", f"cart payment method {text!r} is not mapped and there is no default: no payment recorded")
            continue
        if term is not None and lookups.term_type(term) == "accounts_receivable":
            continue  # the term says no cash payment: the invoice is paid later
        drafts.append(PaymentDraft(method=method, term=term, amount=amount or Decimal(0), reference=reference))
    return drafts
