"""What an order must be before it is mapped: the rules every cart's orders meet, in one place.

A canonical record may hold what no order should (a quantity of 0, a negative price, a currency
no one can pay in): drivers translate what the cart says, and the Custom Cart sends whatever its
site sends. :func:`check_order` refuses such an order before any mapping rule runs, with one error
per problem naming the field and its value (the job names the order), so nothing of it is written
and the admin knows what to fix in the cart. The rules (docs/records.md, "What an order must be"):

- a known currency: an ISO 4217 code of money, i.e. one with minor units (``XXX`` "no currency",
  ``XTS`` "testing", metals and fund codes are refused); the list is the ``iso4217`` package's,
  which follows the ISO maintenance agency's list. Case does not matter (``usd`` is USD);
- at least one item line, and no two lines with the same line id;
- each line: a quantity from 1 to :data:`MAX_LINE_QUANTITY`, a unit price of 0 or more, a
  discount from 0 to the line's price × quantity;
- each shipping line: a price of 0 or more, a discount from 0 to its price;
- the order's discount codes together at most the goods and shipping they apply to.
"""

from __future__ import annotations

import functools
from collections import Counter
from decimal import Decimal

import iso4217

from ecom.mapping.notes import Notes
from ecom.records import CartOrder

ZERO = Decimal(0)
#: The most units one order line may ask for. More is refused as a likely error (a quantity field
#: overflowed, or a typo): 2,147,483,647 mugs once made a sales order of 53,687,091,180.90. A
#: merchant who really sells more on one line splits it.
MAX_LINE_QUANTITY = 1_000_000
RULE = "order data"
_CURRENCIES = {c.code: c for c in iso4217.Currency}


def currency_code(text: str) -> str:
    """The order's currency as the back office keeps it (upper case, no spaces)."""
    return text.strip().upper()


@functools.lru_cache(maxsize=256)
def currency_problem(text: str) -> str | None:
    """Why ``text`` is not a currency an order can be in, or None."""
    known = _CURRENCIES.get(currency_code(text))
    if known is None:
        return "is not an ISO 4217 currency code (e.g. USD, EUR, CAD)"
    if known.exponent is None:
        return f"is ISO 4217's {known.currency_name!r}, not money an order can be paid in"
    return None


def _line_label(external_id: str, name: str) -> str:
    return f"line {external_id}" + (f" ({name!r})" if name else "")


def check_order(order: CartOrder, notes: Notes) -> None:
    """Note an error for each rule ``order`` breaks (see the module docstring)."""
    problem = currency_problem(order.currency)
    if problem:
        notes.error(RULE, f"currency {order.currency!r} {problem}")
    if not order.lines:
        notes.error(RULE, "the order has no item lines: there is nothing to import")
    if len({line.external_id for line in order.lines}) < len(order.lines):
        for ident, count in Counter(line.external_id for line in order.lines).items():
            if count > 1:
                notes.error(RULE, f"line id {ident!r} is on {count} lines: each line of an order needs its own id")
    goods = ZERO
    for line in order.lines:
        label = _line_label(line.external_id, line.name)
        if line.quantity < 1:
            notes.error(RULE, f"{label} quantity {line.quantity}: a line must ask for at least 1 unit")
            continue  # its price and discount may be derived from the quantity: nothing more to say
        if line.quantity > MAX_LINE_QUANTITY:
            notes.error(
                RULE, f"{label} quantity {line.quantity}: more than {MAX_LINE_QUANTITY:,} units on one line is refused as a likely error"
            )
        if line.unit_price < 0:
            notes.error(RULE, f"{label} unit_price {line.unit_price}: a price cannot be negative")
            continue  # a cart may derive the discount from the price: one error says it
        gross = line.unit_price * line.quantity
        goods += gross
        if line.discount < 0:
            notes.error(RULE, f"{label} discount {line.discount}: a discount cannot be negative")
        elif line.discount > gross:
            notes.error(RULE, f"{label} discount {line.discount}: more than the line's {gross} ({line.quantity} × {line.unit_price})")
    for shipping in order.shipping_lines:
        label = f"shipping line {shipping.title!r}"
        if shipping.price < 0:
            notes.error(RULE, f"{label} price {shipping.price}: freight cannot be negative")
        elif shipping.discount < 0:
            notes.error(RULE, f"{label} discount {shipping.discount}: a discount cannot be negative")
        elif shipping.discount > shipping.price:
            notes.error(RULE, f"{label} discount {shipping.discount}: more than its price {shipping.price}")
        goods += max(shipping.price, ZERO)
    coded = sum((d.amount for d in order.discounts), ZERO)
    if coded > goods and not notes.errors:
        codes = ", ".join(repr(d.code) for d in order.discounts)
        notes.error(RULE, f"discounts {codes} total {coded}: more than the goods and shipping ({goods}) they apply to")
