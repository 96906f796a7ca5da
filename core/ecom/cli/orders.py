"""``ecom orders``: the back office's sales orders and ship docs, as web orders made them, and the
cart orders that failed to import, kept aside and tried again on each sync (``failed``, ``dismiss``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click
from sqlmodel import Session, SQLModel, select

from ecom import db, integrations
from ecom import models as m
from ecom.cli import cli, echo_json
from ecom.cli.items import echo_table
from ecom.errors import ConfigError
from ecom.models import (
    Customer,
    CustomField,
    CustomFieldValue,
    Integration,
    Item,
    ItemSalesTax,
    Location,
    Payment,
    PaymentMethod,
    SalesTaxCode,
    ShipMethod,
    Term,
    Transaction,
    TransactionClass,
    TransactionLine,
)

ADDRESS_PARTS = ("name", "company", "line1", "line2", "city", "state", "postal_code", "country", "phone")


@cli.group()
def orders() -> None:
    """Back-office sales orders and ship docs."""


def _when(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _names(session: Session, model: Any, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.exec(select(model.id, model.name).where(model.id.in_(wanted))).all())


@orders.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_orders(as_json: bool) -> None:
    """List transactions: number, type, date, customer, status, hold, web order, total."""
    engine = db.open_engine()
    try:
        with db.session(engine) as session:
            found = session.exec(
                select(Transaction, Customer.name)
                .join(Customer, Transaction.customer_id == Customer.id)
                .order_by(Transaction.date, Transaction.number)
            ).all()
            integrations = _names(session, Integration, {t.integration_id for t, _ in found})
            rows = [
                {
                    "number": t.number,
                    "type": t.type.value,
                    "date": _when(t.date),
                    "customer": customer,
                    "status": t.status,
                    "hold": t.hold,
                    "web_order_number": t.web_order_number,
                    "integration": integrations.get(t.integration_id) if t.integration_id else None,
                    "total": str(t.total),
                    "currency": t.currency,
                    "tracking_number": t.tracking_number,
                }
                for t, customer in found
            ]
    finally:
        engine.dispose()
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No transactions yet: they are made by syncing an integration (ecom sync NAME).")
        return
    echo_table(
        ("NUMBER", "TYPE", "DATE", "CUSTOMER", "STATUS", "HOLD", "WEB ORDER", "TOTAL"),
        [
            (
                r["number"],
                r["type"].replace("_", " "),
                r["date"],
                r["customer"],
                r["status"],
                "hold" if r["hold"] else "",
                r["web_order_number"] or "-",
                f"{r['total']} {r['currency']}",
            )
            for r in rows
        ],
        right=("TOTAL",),
    )


def transaction_detail(session: Session, number: str) -> dict[str, Any]:
    """Everything ``ecom orders show`` prints about transaction ``number``, as plain data."""
    t = session.exec(select(Transaction).where(Transaction.number == number)).first()
    if t is None:
        hint = session.exec(select(Transaction.number).where(Transaction.web_order_number == number)).first()
        extra = f" (web order {number} is transaction {hint})" if hint else " (see: ecom orders list)"
        raise ConfigError(f'No transaction numbered "{number}"{extra}.')
    lines = session.exec(
        select(TransactionLine).where(TransactionLine.transaction_id == t.id).order_by(TransactionLine.line_no)
    ).all()
    payments = session.exec(select(Payment).where(Payment.transaction_id == t.id).order_by(Payment.id)).all()
    custom = session.exec(
        select(CustomField.name, CustomFieldValue.value)
        .join(CustomField, CustomFieldValue.custom_field_id == CustomField.id)
        .where(CustomFieldValue.transaction_id == t.id)
        .order_by(CustomField.name)
    ).all()
    skus = dict(session.exec(select(Item.id, Item.sku).where(Item.id.in_({ln.item_id for ln in lines if ln.item_id}))).all())
    taxes = _names(session, ItemSalesTax, {t.item_sales_tax_id, *(ln.item_sales_tax_id for ln in lines)})

    def name_of(model: type[SQLModel], row_id: int | None) -> str | None:
        return _names(session, model, {row_id}).get(row_id) if row_id else None  # type: ignore[arg-type]

    return {
        "number": t.number,
        "type": t.type.value,
        "date": _when(t.date),
        "customer": name_of(Customer, t.customer_id),
        "accounting_customer": name_of(Customer, t.accounting_customer_id),
        "status": t.status,
        "hold": t.hold,
        "web_order_number": t.web_order_number,
        "integration": name_of(Integration, t.integration_id),
        "location": name_of(Location, t.location_id),
        "class": name_of(TransactionClass, t.class_id),
        "ship_method": name_of(ShipMethod, t.ship_method_id),
        "sales_tax_code": name_of(SalesTaxCode, t.sales_tax_code_id),
        "item_sales_tax": taxes.get(t.item_sales_tax_id) if t.item_sales_tax_id else None,
        "bill_to": {part: getattr(t, f"bill_{part}") for part in (*ADDRESS_PARTS, "email")},
        "ship_to": {part: getattr(t, f"ship_{part}") for part in ADDRESS_PARTS},
        "lines": [
            {
                "line_no": ln.line_no,
                "kind": ln.kind.value,
                "sku": skus.get(ln.item_id) if ln.item_id else None,
                "description": ln.description,
                "quantity": str(ln.quantity),
                "unit_price": str(ln.unit_price),
                "amount": str(ln.amount),
                "taxable": ln.taxable,
                "item_sales_tax": taxes.get(ln.item_sales_tax_id) if ln.item_sales_tax_id else None,
            }
            for ln in lines
        ],
        "subtotal": str(t.subtotal),
        "freight": str(t.freight),
        "tax": str(t.tax),
        "total": str(t.total),
        "currency": t.currency,
        "payments": [
            {
                "payment_method": name_of(PaymentMethod, p.payment_method_id),
                "term": name_of(Term, p.term_id),
                "amount": str(p.amount),
                "reference": p.reference,
            }
            for p in payments
        ],
        "custom_fields": dict(custom),
        "tracking_number": t.tracking_number,
        "carrier": t.carrier,
        "shipped_at": _when(t.shipped_at),
        "voided_at": _when(t.voided_at),
        "closed_at": _when(t.closed_at),
        "created_at": _when(t.created_at),
    }


def _address(parts: dict[str, str | None]) -> str:
    place = " ".join(p for p in (parts.get("state"), parts.get("postal_code")) if p)
    pieces = [*(parts.get(p) for p in ("name", "company", "line1", "line2", "city")), place, parts.get("country")]
    return ", ".join(p for p in pieces if p) or "-"


@orders.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def show_order(number: str, as_json: bool) -> None:
    """Show transaction NUMBER: header, addresses, lines, totals, payments, shipping."""
    engine = db.open_engine()
    try:
        with db.session(engine) as session:
            o = transaction_detail(session, number)
    finally:
        engine.dispose()
    if as_json:
        echo_json(o)
        return
    title = o["type"].replace("_", " ").capitalize()
    click.echo(f"{title} {o['number']}  {o['date']}  {o['status']}{'  ON HOLD' if o['hold'] else ''}")
    facts = [
        ("Customer", o["customer"]),
        ("Accounting", o["accounting_customer"]),
        ("Web order", f"{o['web_order_number']} ({o['integration'] or 'no integration'})" if o["web_order_number"] else None),
        ("Location", o["location"]),
        ("Class", o["class"]),
        ("Ship method", o["ship_method"]),
        ("Sales tax", " / ".join(x for x in (o["sales_tax_code"], o["item_sales_tax"]) if x) or None),
        ("Bill to", _address(o["bill_to"])),
        ("Ship to", _address(o["ship_to"])),
    ]
    facts += [(name, value) for name, value in o["custom_fields"].items()]
    if o["tracking_number"] or o["shipped_at"]:
        shipped = f", shipped {o['shipped_at']}" if o["shipped_at"] else ""
        facts.append(("Tracking", f"{o['tracking_number'] or '-'} ({o['carrier'] or 'no carrier'}){shipped}"))
    for label, stamp in (("Voided", o["voided_at"]), ("Closed", o["closed_at"])):
        if stamp:
            facts.append((label, stamp))
    width = max(len(label) for label, _ in facts)
    for label, value in facts:
        if value:
            click.echo(f"{label:<{width}}  {value}")
    click.echo("")
    if o["lines"]:
        echo_table(
            ("#", "KIND", "SKU", "DESCRIPTION", "QTY", "PRICE", "AMOUNT"),
            [
                (ln["line_no"], ln["kind"], ln["sku"] or "-", ln["description"] or "")
                + (ln["quantity"], ln["unit_price"], ln["amount"])
                for ln in o["lines"]
            ],
            right=("#", "QTY", "PRICE", "AMOUNT"),
        )
    else:
        click.echo("No lines.")
    click.echo("")
    amounts = [("Subtotal", o["subtotal"]), ("Freight", o["freight"]), ("Tax", o["tax"]), ("Total", o["total"])]
    figure = max(len(a) for _, a in amounts)
    for label, amount in amounts:
        click.echo(f"{label:<8}  {amount:>{figure}}{' ' + o['currency'] if label == 'Total' else ''}")
    for p in o["payments"]:
        how = " / ".join(x for x in (p["payment_method"], p["term"]) if x)
        reference = f"  ref {p['reference']}" if p["reference"] else ""
        click.echo(f"Payment   {p['amount']:>{figure}}  {how}{reference}")


def _find(session: Session, number: str) -> m.Transaction:
    """A transaction by its number, or by the web order number it was imported from."""
    txn = session.exec(select(m.Transaction).where(m.Transaction.number == number)).first()
    txn = txn or session.exec(select(m.Transaction).where(m.Transaction.web_order_number == number)).first()
    if txn is None:
        raise ConfigError(f"There is no order {number!r}: `ecom orders list` shows them.")
    return txn


@orders.command("ship")
@click.argument("number")
@click.option("--tracking", "tracking_number", required=True, help="The carrier's tracking number.")
@click.option("--carrier", required=True, help="Who carries it, e.g. UPS.")
def ship_order(number: str, tracking_number: str, carrier: str) -> None:
    """Record that order NUMBER shipped; the next sync tells the cart (Update order status)."""
    with db.session(db.open_engine()) as session:
        txn = _find(session, number)
        if txn.voided_at is not None:
            raise ConfigError(f"Order {txn.number} is voided: a voided order cannot ship.")
        txn.shipped_at, txn.tracking_number, txn.carrier = m.utcnow(), tracking_number, carrier
        session.add(txn)
    click.echo(f"Order {txn.number} shipped ({carrier} {tracking_number}).")


def _stamp(number: str, column: str, done: str) -> None:
    with db.session(db.open_engine()) as session:
        txn = _find(session, number)
        setattr(txn, column, m.utcnow())
        session.add(txn)
    click.echo(f"Order {txn.number} {done}.")


@orders.command("void")
@click.argument("number")
def void_order(number: str) -> None:
    """Void order NUMBER; the next sync cancels it in the cart."""
    _stamp(number, "voided_at", "voided")


@orders.command("close")
@click.argument("number")
def close_order(number: str) -> None:
    """Close order NUMBER; the next sync closes it in the cart."""
    _stamp(number, "closed_at", "closed")


def _failed_row(row: m.FailedOrder, integration: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "integration": integration,
        "cart_id": row.external_id,
        "number": row.number,
        "error": row.error,
        "attempts": row.attempts,
        "first_failed_at": _when(row.first_failed_at),
        "last_failed_at": _when(row.last_failed_at),
        "cart_updated_at": _when(row.cart_updated_at),
        "job_id": row.job_id,
        "dismissed_at": _when(row.dismissed_at),
    }


@orders.command("failed")
@click.option("--integration", "name", help="Only this integration's orders.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def failed_orders(name: str | None, as_json: bool) -> None:
    """Cart orders that failed to import: each sync tries them again until they import or you dismiss them."""
    engine = db.open_engine()
    try:
        with db.session(engine) as session:
            query = select(m.FailedOrder).where(m.FailedOrder.dismissed_at.is_(None)).order_by(m.FailedOrder.id)  # type: ignore[union-attr]
            if name:
                query = query.where(m.FailedOrder.integration_id == integrations.get(session, name).id)
            found = session.exec(query).all()
            names = _names(session, Integration, {row.integration_id for row in found})
            rows = [_failed_row(row, names.get(row.integration_id, "?")) for row in found]
    finally:
        engine.dispose()
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No failed orders: every order the carts sent was imported (or dismissed).")
        return
    echo_table(
        ("ID", "INTEGRATION", "ORDER", "CART ID", "TRIES", "SINCE", "WHY"),
        [(r["id"], r["integration"], r["number"], r["cart_id"], r["attempts"], r["first_failed_at"][:10], r["error"])
         for r in rows],
        right=("ID", "TRIES"),
    )
    click.echo("Fix the cause (mapping, items) and the next sync imports them; `ecom orders dismiss ID` stops trying one.")


@orders.command("dismiss")
@click.argument("failed_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def dismiss_order(failed_id: int, as_json: bool) -> None:
    """Stop trying failed order ID (from `ecom orders failed`) until the cart changes it."""
    engine = db.open_engine()
    try:
        with db.session(engine) as session:
            row = session.get(m.FailedOrder, failed_id)
            if row is None:
                raise ConfigError(f"There is no failed order {failed_id}: `ecom orders failed` lists them.")
            if row.dismissed_at is not None:
                raise ConfigError(f"Failed order {failed_id} ({row.number}) was dismissed already, on {row.dismissed_at:%Y-%m-%d %H:%M} UTC.")
            row.dismissed_at = m.utcnow()
            session.add(row)
            integration = session.get(Integration, row.integration_id)
            shown = _failed_row(row, integration.name if integration else "?")
    finally:
        engine.dispose()
    if as_json:
        echo_json(shown)
        return
    click.echo(f"Order {shown['number']} ({shown['integration']}, cart id {shown['cart_id']}) dismissed: "
               "no longer tried, unless it changes in the cart.")
