"""How ``ecom integration show`` puts an integration in words (``preview``'s words are :mod:`ecom.preview`'s).

Pure functions from data to lines of text, short and aligned, so the commands stay small and the
wording is tested in one place. Setting keys are shown as ``set`` and the TOML file spell them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from ecom.integrations import Step
from ecom.text import aligned

TABS = {
    "general": "General",
    "preferences": "Preferences",
    "sales_tax": "Sales Tax Mapping",
    "shipping": "Ship Method Mapping",
    "payments": "Payment Method Mapping",
    "discounts": "Discount Mapping",
    "schedule": "Schedule",
    "notify": "Job report email",
}


# --- show ------------------------------------------------------------------------------------


def value_text(path: str, value: Any) -> list[str] | str:
    """One setting's value in words (grids and tables as one line per row)."""
    if value is None or value == [] or value == {}:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dict):
        arrow = " = " if path.endswith("driver_options") else " → "
        return [f"{k}{arrow}{v}" for k, v in value.items()]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [row_text(path, row) for row in value]
    if isinstance(value, list):
        return ", ".join(str(getattr(v, "value", v)) for v in value)
    return str(getattr(value, "value", value))


def row_text(path: str, row: dict[str, Any]) -> str:
    """A grid row: the cart's text → the back office's name."""
    if path == "shipping.methods":
        carrier = f" ({row['cart_carrier']})" if row.get("cart_carrier") else ""
        return f"{row['cart_method']!r}{carrier} → {row['method']}"
    if path == "payments.methods":
        return f"{row['cart_method']!r} → {row['method']}" + (f", term {row['term']}" if row.get("term") else "")
    if path == "discounts.codes":
        return f"{row['cart_code']!r} → {row['discount']}"
    if path == "general.cart_items":
        return f"{row['sku']} → cart id {row['cart_id']}"
    return ", ".join(f"{k}={v}" for k, v in row.items())


def checklist_lines(steps: Sequence[Step], indent: str = "  ") -> list[str]:
    """``[x] key  detail`` per step; under a step not done, the command that does it."""
    return aligned(
        [(f"[{'x' if step.done else ' '}] {step.key}", [step.detail, step.command] if step.command else step.detail) for step in steps],
        indent=indent,
    )


def show_lines(header: dict[str, Any], settings: dict[str, Any], steps: Sequence[Step] = ()) -> list[str]:
    """Every tab of an integration: ``header`` holds the name, cart, state and connection fields;
    ``steps`` the checklist from ``add`` to a scheduled sync."""
    state = "active" if header["active"] else "inactive"
    lines = [f"{header['name']}: {header['cart_title']} ({header['cart']}), {state}"]
    lines += aligned([(key, text) for key, text in header["connection"]])
    if steps:
        lines += ["", "Checklist"] + checklist_lines(steps)
    for section, title in TABS.items():
        lines += ["", title]
        lines += aligned([(key, value_text(f"{section}.{key}", value)) for key, value in settings[section].items()])
    return lines
