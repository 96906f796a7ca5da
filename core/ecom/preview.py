"""What one cart order would become: ``ecom integration preview`` and the web admin's Preview.

An order is read from its canonical JSON text (:func:`order_from_text`), mapped with the
integration's saved settings without writing anything (:func:`preview_order`), and put in words
(:func:`preview_lines`): pure functions from data to lines of text, so both faces say the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from ecom import integrations
from ecom import models as m
from ecom.errors import ConfigError
from ecom.integration_checks import dotted, validation_problems
from ecom.mapping import DbLookups, map_order
from ecom.mapping.draft import LineDraft, MappingOutcome, TransactionDraft
from ecom.records import CartAddress, CartOrder
from ecom.text import aligned, table


def order_from_text(source: str, text: str) -> CartOrder:
    """A canonical order from its JSON text, or a ConfigError listing what is wrong."""
    try:
        order = CartOrder.model_validate_json(text)
    except ValidationError as exc:
        problems = validation_problems(exc, model=CartOrder)
        lines = "\n".join(f"  {p}" for p in problems)
        raise ConfigError(f"{source} is not a canonical order (docs/records.md):\n{lines}") from None
    problems = [f"{where}: {value} {problem}" for where, value in _numbers(order, ()) if (problem := m.number_problem(value))]
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise ConfigError(f"{source} holds numbers beyond what the back office keeps:\n{lines}")
    return order


def _numbers(value: Any, where: tuple[Any, ...]) -> Iterator[tuple[str, Any]]:
    """Every number in a record, with where it is (``lines.0.quantity``)."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _numbers(getattr(value, name), (*where, name))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _numbers(item, (*where, index))
    elif isinstance(value, int | Decimal) and not isinstance(value, bool):
        yield dotted(where), value


def preview_order(session: Session, integration: m.Integration, order: CartOrder) -> MappingOutcome:
    """``order`` mapped with the integration's saved settings; whatever the mapping wrote is rolled back."""
    try:
        return map_order(order, integrations.load_settings(session, integration), DbLookups(session, integration.id))
    finally:
        session.rollback()



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
