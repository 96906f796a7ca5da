"""Sales tax mapping: is the order taxable, which state and country, which code and rate.

Taxable means the cart charged tax and the cart customer is not tax-exempt. The state comes from
the billing address (or shipping, as set), falling back to the other address with a warning.
A US state or Canadian province written out (``New York``, ``Québec``, ``us-ny``) is read as its
code (``NY``, ``QC``) before the state grid, with the names of ISO 3166-2 (the ``pycountry``
package). Outside the home country only the sales tax code is set. Taxable customers get the state grid's
item sales tax, else the default; non-taxable ones the non-taxable defaults, including the
shipping sales tax. The cart's tax total is kept; a mapped tax that differs from it by more than
a cent per taxed line is a warning on the job, never silent.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from ecom.mapping.draft import LineDraft, cents
from ecom.mapping.lookups import Lookups
from ecom.mapping.notes import Notes
from ecom.records import CartOrder
from ecom.settings import SalesTax


@dataclass(frozen=True)
class TaxPlan:
    taxable: bool
    state: str | None
    foreign: bool
    code: str | None
    item_tax: str | None
    rate: Decimal | None
    shipping_tax: str | None
    shipping_rate: Decimal | None


def is_taxable(order: CartOrder) -> bool:
    exempt = order.customer.tax_exempt if order.customer else False
    return order.total_tax > 0 and not exempt


#: The countries whose state or province names are read as codes before the state grid.
NAMED_STATES = ("US", "CA")


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.replace(".", " ").casefold().split())


@cache
def _state_names(country: str) -> dict[str, str]:
    import pycountry  # only when an address needs it: its data takes a moment to load

    names: dict[str, str] = {}
    for sub in pycountry.subdivisions.get(country_code=country) or []:
        code = sub.code.split("-", 1)[1]
        names[_fold(sub.name)] = code
        names[_fold(sub.code)] = code
        names[_fold(sub.code.replace("-", " "))] = code
    return names


def state_code(state: str | None, country: str | None) -> str | None:
    """The state as the grid keys it: upper case; a US or Canadian name becomes its code."""
    text = (state or "").strip()
    if not text:
        return None
    if country in NAMED_STATES and len(text) > 2:
        return _state_names(country).get(_fold(text), text.upper())
    return text.upper()


def plan_tax(order: CartOrder, settings: SalesTax, lookups: Lookups, notes: Notes) -> TaxPlan:
    taxable = is_taxable(order)
    first, second = (order.billing, order.shipping) if settings.state_from == "billing" else (order.shipping, order.billing)
    address = first
    if address is None and second is not None:
        address = second
        other = "shipping" if settings.state_from == "billing" else "billing"
        notes.warn("sales tax state", f"no {settings.state_from} address: state taken from the {other} address")
    country = (address.country or "").strip().upper() or None if address else None
    state = state_code(address.state, country or settings.home_country.upper()) if address else None
    foreign = country is not None and country != settings.home_country.upper()

    code = settings.taxable_code if taxable else settings.nontaxable_code
    if foreign:
        return TaxPlan(taxable, state, True, code, None, None, None, None)
    if taxable:
        item_tax = settings.states.get(state or "", settings.taxable_item_tax)
        shipping_tax = item_tax if any(s.tax_lines for s in order.shipping_lines) else None
    else:
        item_tax, shipping_tax = settings.nontaxable_item_tax, settings.nontaxable_shipping_tax
    return TaxPlan(
        taxable, state, False, code, item_tax, _rate(item_tax, lookups, notes), shipping_tax, _rate(shipping_tax, lookups, notes)
    )


def _rate(name: str | None, lookups: Lookups, notes: Notes) -> Decimal | None:
    if name is None:
        return None
    rate = lookups.item_sales_tax_rate(name)
    if rate is None:
        notes.error("item sales tax", f"item sales tax {name!r} does not exist in the back office")
    return rate


def check_tax(order: CartOrder, plan: TaxPlan, lines: list[LineDraft], freight: Decimal, notes: Notes) -> None:
    """Warn when the mapped rate gives a different tax than the cart charged (beyond a cent a line)."""
    if plan.foreign or not plan.taxable:
        if order.total_tax > 0 and not plan.foreign:
            notes.warn("sales tax", f"the cart charged {order.total_tax} tax on a tax-exempt customer's order; kept as charged")
        return
    taxed = [line for line in lines if line.taxable and line.kind in ("item", "fee", "freight")]
    discounts = sum((-line.amount for line in lines if line.kind == "discount"), Decimal(0))
    base = sum((line.amount for line in taxed), Decimal(0)) - discounts
    mapped = cents(base * (plan.rate or 0))
    taxed_count = len(taxed)
    if plan.shipping_rate is not None and freight:
        mapped += cents(freight * plan.shipping_rate)
        taxed_count += 1
    tolerance = Decimal("0.01") * max(taxed_count, 1)
    if abs(mapped - order.total_tax) > tolerance:
        notes.warn(
            "sales tax",
            f"mapped tax {mapped} ({plan.item_tax or 'no item sales tax'}) differs from the cart's {order.total_tax} "
            f"by {abs(mapped - order.total_tax)}; the cart's tax is kept",
        )
