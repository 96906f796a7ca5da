"""How ``ecom integration show`` and ``preview`` put an integration and a mapped order in words.

Pure functions from data to lines of text, short and aligned, so the commands stay small and the
wording is tested in one place. Setting keys are shown as ``set`` and the TOML file spell them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ecom.integrations import Step
from ecom.mapping.draft import LineDraft, MappingOutcome, TransactionDraft
from ecom.records import CartAddress

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


def aligned(pairs: Sequence[tuple[str, Sequence[str] | str]], indent: str = "  ") -> list[str]:
    """``key  value`` lines with the values in one column; a value of several lines continues under it."""
    width = max((len(key) for key, _ in pairs), default=0)
    lines = []
    for key, value in pairs:
        values = [value] if isinstance(value, str) else list(value) or ["-"]
        lines.append(f"{indent}{key:<{width}}  {values[0]}".rstrip())
        lines += [f"{indent}{'':<{width}}  {more}".rstrip() for more in values[1:]]
    return lines


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, right: Sequence[str] = (), indent: str = "  ") -> list[str]:
    """Rows under headers, columns aligned; columns named in ``right`` align right."""
    text = [["" if cell is None else str(cell) for cell in row] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in text)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return indent + "  ".join(
            c.rjust(w) if h in right else c.ljust(w) for c, w, h in zip(cells, widths, headers, strict=True)
        ).rstrip()

    return [line(headers), *(line(row) for row in text)]


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


# --- preview ---------------------------------------------------------------------------------


def address_text(address: CartAddress | None) -> str:
    if address is None:
        return "-"
    place = " ".join(p for p in (address.city, address.state, address.postal_code) if p)
    parts = [address.name or None, address.company, address.line1, address.line2, place or None, address.country]
    return ", ".join(p for p in parts if p)


def money(value: Decimal) -> str:
    return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)


def preview_lines(outcome: MappingOutcome) -> list[str]:
    """The transaction a preview would create, then every warning and error."""
    if outcome.skipped:
        lines = [f"Order {outcome.order}: would not be imported: {outcome.skipped}."]
    elif outcome.draft is None:
        count = len(outcome.errors)
        lines = [f"Order {outcome.order}: would NOT be imported ({count} error{'s' if count != 1 else ''}, below)."]
    else:
        lines = _draft_lines(outcome.order, outcome.draft)
    for title, notes in (("Warnings", outcome.warnings), ("Errors", outcome.errors)):
        if notes:
            lines += ["", f"{title} ({len(notes)}):"]
            lines += [f"  {note.rule}: {note.message}" for note in notes]
    return lines


def _draft_lines(number: str, draft: TransactionDraft) -> list[str]:
    kind = "sales order" if draft.type == "sales_order" else "ship doc"
    lines = [f"Order {number}: would be imported as a {kind}, status {draft.status}, dated {draft.date.isoformat()}."]
    customer = draft.customer
    who = [f"{customer.name!r}, {customer.rule}"]
    if customer.new is not None:
        new = customer.new
        who.append(
            f"type {new.customer_type or '-'}, sales rep {new.sales_rep or '-'}, tax code {new.sales_tax_code or '-'}, "
            f"item sales tax {new.item_sales_tax or '-'}, {'taxable' if new.taxable else 'non-taxable'}"
        )
    ship = draft.ship_to
    ship_text = f"existing ship-to {ship.existing_id}: {ship.rule}" if ship.action == "existing" else ship.rule
    tax = f"{'taxable' if draft.taxable else 'non-taxable'}; code {draft.sales_tax_code or '-'}; item sales tax {draft.item_sales_tax or '-'}"
    if draft.freight_sales_tax:
        tax += f"; freight {draft.freight_sales_tax}"
    pairs: list[tuple[str, Sequence[str] | str]] = [
        ("customer", who),
        ("accounting", draft.accounting_customer or "-"),
        ("bill-to", address_text(draft.bill_to)),
        ("ship-to", [ship_text, address_text(ship.address)] if ship.address else ship_text),
        ("ship method", draft.ship_method or "-"),
        ("sales tax", tax),
        ("location", draft.location or "-"),
        ("class", draft.class_ or "-"),
        ("custom fields", [f"{k} = {v}" for k, v in draft.custom_fields.items()] or "-"),
        ("hold", f"yes: {draft.hold_reason}" if draft.hold else "no"),
    ]
    lines += aligned(pairs)
    lines += [""]
    lines += table(
        ("#", "KIND", "SKU", "DESCRIPTION", "QTY", "PRICE", "AMOUNT", "TAX"),
        [(i, *_line_cells(line)) for i, line in enumerate(draft.lines, 1)],
        right=("#", "QTY", "PRICE", "AMOUNT"),
    )
    lines += [""]
    totals = [("subtotal", draft.subtotal), ("freight", draft.freight), ("discount", -draft.discount), ("tax", draft.tax), ("total", draft.total)]
    width = max(len(money(v)) for _, v in totals)
    lines += [f"  {label:<9} {money(value):>{width}} {draft.currency if label == 'total' else ''}".rstrip() for label, value in totals]
    paid = [f"{p.method}{f', term {p.term}' if p.term else ''}: {money(p.amount)}" + (f" (ref {p.reference})" if p.reference else "") for p in draft.payments]
    lines += [""] + aligned([("payment", paid or "none recorded")])
    return lines


def _line_cells(line: LineDraft) -> tuple[Any, ...]:
    sku = (line.sku or "-") + (" (new item)" if line.new_item else "")
    tax = line.item_sales_tax if line.taxable else "-"
    quantity = line.quantity.normalize() if line.quantity == line.quantity.to_integral_value() else line.quantity
    return (line.kind, sku, line.description, f"{quantity:f}", money(line.unit_price), money(line.amount), tax or "-")
