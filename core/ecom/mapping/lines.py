"""Item and fee lines: each cart line becomes a line for its back-office item, found by SKU.

Lines carry the full price before discounts (discounts become their own lines, see
:mod:`ecom.mapping.discounts`), excluding tax. When the cart's prices include tax, each line's
tax is taken out in proportion. A SKU is matched after trimming surrounding spaces (with a
warning, so the cart can be corrected). An unknown SKU is an error naming it, and the order is not
imported half, unless the integration creates missing items.
"""

from __future__ import annotations

from decimal import Decimal

from ecom.mapping.draft import LineDraft, cents
from ecom.mapping.lookups import Lookups
from ecom.mapping.notes import Notes
from ecom.mapping.tax import TaxPlan
from ecom.records import CartLine, CartOrder, CartTaxLine
from ecom.settings import IntegrationSettings

ZERO = Decimal(0)
UNIT = Decimal("0.0001")


def tax_of(tax_lines: list[CartTaxLine]) -> Decimal:
    return sum((t.amount for t in tax_lines), ZERO)


def net_factor(gross: Decimal, discount: Decimal, tax: Decimal, included: bool) -> Decimal:
    """The share of a tax-inclusive amount that is not tax (1 when prices exclude tax)."""
    paid = gross - discount
    if not included or paid <= 0 or tax <= 0:
        return Decimal(1)
    return (paid - tax) / paid


def item_line(line: CartLine, order: CartOrder, plan: TaxPlan, lookups: Lookups, settings: IntegrationSettings, notes: Notes) -> LineDraft | None:
    label = f"line {line.name or line.external_id!r}"
    sku = (line.sku or "").strip()
    if not sku:
        notes.error("item", f"{label} has no SKU, so no back-office item can be found for it")
        return None
    if sku != line.sku:
        notes.warn("item", f"SKU {line.sku!r} ({label}) has spaces around it in the cart; matched as {sku!r}")
    item = lookups.item(sku)
    if item is None and not settings.preferences.create_missing_items:
        notes.error("item", f"SKU {sku!r} ({label}) is not an item in the back office")
        return None
    if item is not None and not item.active:
        notes.warn("item", f"SKU {sku!r} is an inactive item; imported anyway")
    gross = line.unit_price * line.quantity
    factor = net_factor(gross, line.discount, tax_of(line.tax_lines), order.taxes_included)
    amount = cents(gross * factor)
    taxable = line.taxable and (item.taxable if item else True) and plan.taxable and not plan.foreign
    return LineDraft(
        kind="item",
        sku=sku,
        description=item.name if item else line.name,
        quantity=Decimal(line.quantity),
        unit_price=(amount / line.quantity).quantize(UNIT) if line.quantity else amount,
        amount=amount,
        taxable=taxable,
        item_sales_tax=plan.item_tax if taxable else None,
        new_item=item is None,
        cart_line_id=line.external_id,
    )


def fee_lines(order: CartOrder, plan: TaxPlan, settings: IntegrationSettings, notes: Notes) -> list[LineDraft]:
    if not order.fees:
        return []
    item = settings.shipping.fee_item
    if item is None:
        names = ", ".join(repr(f.name) for f in order.fees)
        notes.error("fee", f"the order has fees ({names}) but no fee item is set (Ship Method Mapping: fee item)")
        return []
    lines = []
    for fee in order.fees:
        factor = net_factor(fee.amount, ZERO, tax_of(fee.tax_lines), order.taxes_included)
        amount = cents(fee.amount * factor)
        taxable = fee.taxable and plan.taxable and not plan.foreign
        lines.append(
            LineDraft(
                kind="fee", sku=item, description=fee.name, quantity=Decimal(1), unit_price=amount, amount=amount,
                taxable=taxable, item_sales_tax=plan.item_tax if taxable else None, cart_line_id=fee.external_id,
            )
        )
    return lines
