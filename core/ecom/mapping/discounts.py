"""Discount mapping: the order's discounts become discount lines so its total equals the cart's.

Each cart discount code maps to a back-office discount through the grid, else the default. What
the lines and shipping were discounted beyond the listed codes (automatic discounts) becomes one
line with the default discount. Amounts exclude tax when the cart's prices include it.
"""

from __future__ import annotations

from decimal import Decimal

from ecom.mapping.draft import LineDraft, cents
from ecom.mapping.lines import net_factor, tax_of
from ecom.mapping.notes import Notes
from ecom.records import CartOrder
from ecom.settings import Discounts

ZERO = Decimal(0)


def total_discount(order: CartOrder) -> tuple[Decimal, Decimal]:
    """(discount as the cart shows it, the same excluding tax)."""
    shown, net = ZERO, ZERO
    if not any(line.discount for line in order.lines) and not any(s.discount for s in order.shipping_lines):
        return shown, net
    parts = [(line.unit_price * line.quantity, line.discount, tax_of(line.tax_lines)) for line in order.lines]
    parts += [(s.price, s.discount, tax_of(s.tax_lines)) for s in order.shipping_lines]
    for gross, discount, tax in parts:
        shown += discount
        net += cents(discount * net_factor(gross, discount, tax, order.taxes_included))
    return shown, net


def discount_lines(order: CartOrder, settings: Discounts, notes: Notes) -> list[LineDraft]:
    shown, net = total_discount(order)
    if not shown:
        return []
    by_code = {row.cart_code.strip().casefold(): row.discount for row in settings.codes}
    parts: list[tuple[str, str | None, Decimal]] = []
    listed = ZERO
    for code in order.discounts:
        if not code.amount:
            continue
        listed += code.amount
        mapped = by_code.get(code.code.strip().casefold(), settings.default_discount)
        if mapped is None:
            notes.error("discount", f"discount code {code.code!r} is not mapped and there is no default discount")
        parts.append((code.code, mapped, code.amount))
    if shown - listed > 0:
        if settings.default_discount is None:
            notes.error("discount", f"the order has {shown - listed} of discounts without a code and no default discount")
        parts.append(("Discount", settings.default_discount, shown - listed))
    lines, left = [], net
    for index, (label, discount, amount) in enumerate(parts):
        share = left if index == len(parts) - 1 else cents(amount * net / shown)
        left -= share
        lines.append(
            LineDraft(
                kind="discount", sku=discount, description=label, quantity=Decimal(1), unit_price=-share, amount=-share,
            )
        )
    return lines
