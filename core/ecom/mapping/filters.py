"""Which web orders are imported: archived ones never, test orders only when the integration says
so, then the Preferences filters (AND).

Returns why an order is skipped, or None to import it. Skipping is not an error: the order is
simply not one the merchant wants in the back office.
"""

from __future__ import annotations

from collections.abc import Iterable

from ecom.records import CartOrder
from ecom.settings import Preferences


def _folded(values: Iterable[str]) -> set[str]:
    return {v.strip().casefold() for v in values}


def skip_reason(order: CartOrder, prefs: Preferences) -> str | None:
    """Why ``order`` is not imported, or None. The archived check comes before every filter."""
    if order.archived:
        return "archived in the cart: archived orders are never imported"
    if order.test and not prefs.import_test_orders:
        return "a test order (the cart marks it test): set preferences.import_test_orders = true to import test orders"
    if prefs.statuses and order.status not in prefs.statuses:
        wanted = ", ".join(s.label for s in prefs.statuses)
        return f"web order status {order.status.label} is not one to import ({wanted})"
    checks = (
        ("secondary status", order.secondary_status, prefs.secondary_statuses),
        ("financial status", order.financial_status, prefs.financial_statuses),
        ("sales channel", order.sales_channel, prefs.sales_channels),
    )
    for label, value, wanted in checks:
        if wanted and (value or "").strip().casefold() not in _folded(wanted):
            return f"{label} {value or '(none)'!r} is not one to import ({', '.join(wanted)})"
    return None
