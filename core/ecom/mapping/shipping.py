"""Ship method mapping and where freight goes.

The cart's shipping method text (or code), with its carrier when the grid row names one, picks
the back-office ship method; anything unmatched uses the required default and raises a warning.
Freight goes in the order's Freight amount, which needs the ship method's other-charge item (a
missing one is an error on that order only: the job imports the others), or on a separate line
using the chosen item. Either way the shipping sales tax of the tax plan (SPEC §2) goes with it:
on the freight line, or as the transaction's freight sales tax.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

from ecom.mapping.draft import LineDraft, cents
from ecom.mapping.lines import net_factor, tax_of
from ecom.mapping.lookups import Lookups
from ecom.mapping.notes import Notes
from ecom.mapping.tax import TaxPlan
from ecom.records import CartOrder
from ecom.settings import Shipping


@dataclass(frozen=True)
class Freight:
    method: str | None
    amount: Decimal  # excluding tax, before shipping discounts
    line: LineDraft | None
    tax: str | None = None  # the item sales tax of freight in the Freight box


@functools.lru_cache(maxsize=4096)  # the grid's and the carts' few method names, folded for every order
def _fold(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def choose_ship_method(order: CartOrder, settings: Shipping, notes: Notes) -> str | None:
    if not order.shipping_lines:
        return settings.default_method
    first = order.shipping_lines[0]
    names = {_fold(first.title), _fold(first.code)} - {""}
    carrier = _fold(first.carrier)
    candidates = [row for row in settings.methods if _fold(row.cart_method) in names]
    exact = [row for row in candidates if row.cart_carrier and _fold(row.cart_carrier) == carrier]
    any_carrier = [row for row in candidates if not row.cart_carrier]
    if exact or any_carrier:
        return (exact or any_carrier)[0].method
    notes.warn(
        "ship method",
        f"cart ship method {first.title!r}{f' ({first.carrier})' if first.carrier else ''} is not mapped; "
        f"the default {settings.default_method!r} is used",
    )
    return settings.default_method


def freight(order: CartOrder, settings: Shipping, plan: TaxPlan, lookups: Lookups, notes: Notes) -> Freight:
    method = choose_ship_method(order, settings, notes)
    amount = Decimal(0)
    for line in order.shipping_lines:
        factor = net_factor(line.price, line.discount, tax_of(line.tax_lines), order.taxes_included)
        amount += cents(line.price * factor)
    if settings.freight_as_line:
        if not amount:
            return Freight(method, amount, None)
        taxable = plan.shipping_rate is not None
        return Freight(
            method,
            amount,
            LineDraft(
                kind="freight", sku=settings.freight_item, description=order.shipping_lines[0].title,
                quantity=Decimal(1), unit_price=amount, amount=amount, taxable=taxable,
                item_sales_tax=plan.shipping_tax if taxable else None,
            ),
        )
    if amount and method is not None:
        info = lookups.ship_method(method)
        if info is None:
            notes.error("ship method", f"ship method {method!r} does not exist in the back office")
        elif info.other_charge_item is None:
            notes.error(
                "freight",
                f"ship method {method!r} has no other-charge item, so freight {amount} cannot go in the Freight box; "
                "set its other-charge item, or add shipping as a line item",
            )
    return Freight(method, amount, None, plan.shipping_tax if amount else None)
