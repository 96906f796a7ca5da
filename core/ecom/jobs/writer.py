"""The writer (OCA's binder + synchronizer's last step): a mapped order becomes rows, exactly once.

:func:`write_order` creates the transaction with its lines, payments and custom field values, the
customer and ship-to when new, and the bindings (cart order id → transaction, cart customer id →
customer), all inside the caller's database transaction. The order's binding is inserted first and
is unique in the database per (integration, kind, external id), so an order can be written only
once, even by two processes racing: the loser gets :class:`AlreadyImported` before writing anything.

Two imports writing the same new customers at once (PostgreSQL) write each batch in one order
(:func:`lock_order`) and run a batch again when the database gives it up in a deadlock
(:func:`batch_retried`), so no order fails for it.

It writes with SQL inserts rather than ORM objects (a few statements per order, no flush of a
unit of work): importing is the hot path (see ``bench/import_throughput.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ecom import db
from ecom import models as m
from ecom.mapping.draft import CustomerChoice, LineDraft, TransactionDraft
from ecom.records import CartAddress, CartOrder

ORDER, CUSTOMER = "order", "customer"


def lock_order(orders: list[CartOrder]) -> list[int]:
    """The order in which to write ``orders`` (their positions): by customer, the same in every process.

    Writing creates customers (unique names) and ship-tos; two imports that write the same new
    customers in different orders can each wait for a row the other holds (a deadlock). Written
    in one order everywhere, they queue instead.
    """

    def key(position: int) -> tuple[str, str, str]:
        order = orders[position]
        customer, billing = order.customer, order.billing
        email = (customer.email if customer else None) or (billing.email if billing else None) or ""
        name = (billing.name if billing else "") or (customer.name if customer else "") or ""
        return email.strip().lower(), name.strip().lower(), order.external_id

    return sorted(range(len(orders)), key=key)


def batch_retried(import_batch: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
    """Make an import of a batch of orders write them in :func:`lock_order`, in a savepoint that
    runs again, alone, when PostgreSQL gives the batch up in a deadlock
    (:func:`ecom.db.retry_conflicts`).

    The wrapped function takes ``(run, batch, lookups, names, ...)`` and returns a result per
    order, in the batch's own order; a batch run again first forgets its counts, events and caches.
    """

    @functools.wraps(import_batch)
    def wrapper(run: Any, batch: list[CartOrder], lookups: Any, names: Names, *args: Any, **kwargs: Any) -> list[Any]:
        positions = lock_order(batch)
        before = run.log.snapshot()

        def undo() -> None:
            run.log.restore(before)
            lookups.forget()
            names.forget()

        results = db.retry_conflicts(
            run.session, lambda: import_batch(run, [batch[p] for p in positions], lookups, names, *args, **kwargs),
            undo=undo, lock="ecom.import",
        )
        ordered: list[Any] = [None] * len(batch)
        for position, result in zip(positions, results, strict=True):
            ordered[position] = result
        return ordered

    return wrapper


class AlreadyImported(Exception):
    """The order has a binding already: it was imported before (or by another process just now)."""


class Names:
    """Name → id for the back-office lists drafts name, read once and kept for a whole job."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[type, dict[str, int]] = {}
        self._items: dict[str, int | None] = {}
        self._discounts: dict[str, int | None] | None = None

    def id(self, model: type, name: str | None) -> int | None:
        if name is None:
            return None
        if model not in self._cache:
            self._cache[model] = {row.name: row.id for row in self.session.exec(select(model))}
        return self._cache[model].get(name)

    def item_id(self, sku: str | None) -> int | None:
        if sku is None:
            return None
        if sku not in self._items:
            self._items[sku] = self.session.exec(select(m.Item.id).where(m.Item.sku == sku)).first()
        return self._items[sku]

    def discount_item_id(self, discount: str | None) -> int | None:
        if discount is None:
            return None
        if self._discounts is None:
            self._discounts = dict(self.session.exec(select(m.Discount.name, m.Discount.item_id)).all())
        return self._discounts.get(discount)

    def forget_item(self, sku: str) -> None:
        self._items.pop(sku, None)

    def forget(self) -> None:
        """Drop everything read (after a rollback, ids read since may be gone)."""
        self._cache.clear()
        self._items.clear()
        self._discounts = None


def _insert(session: Session, model: type, values: dict[str, Any]) -> int:
    """Insert one row and return its id (a Core statement with bound parameters: compiled once)."""
    table = model.__table__  # type: ignore[attr-defined]
    return session.connection().execute(table.insert().returning(table.c.id), values).scalar_one()


def _insert_many(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(model.__table__.insert(), rows)  # type: ignore[attr-defined]


def _address_fields(prefix: str, address: CartAddress | None) -> dict[str, Any]:
    if address is None:
        return {}
    fields = {
        f"{prefix}_name": address.name or None,
        f"{prefix}_company": address.company,
        f"{prefix}_line1": address.line1,
        f"{prefix}_line2": address.line2,
        f"{prefix}_city": address.city,
        f"{prefix}_state": address.state,
        f"{prefix}_postal_code": address.postal_code,
        f"{prefix}_country": address.country,
        f"{prefix}_phone": address.phone,
    }
    if prefix == "bill":
        fields["bill_email"] = address.email
    return fields


def _free_name(session: Session, column: Any, where: Any, candidates: list[str]) -> str:
    """The first candidate not taken (usually the first: asked alone before the others)."""
    connection = session.connection()
    if connection.execute(sa.select(column).where(where, column == candidates[0])).first() is None:
        return candidates[0]
    taken = set(connection.execute(sa.select(column).where(where, column.in_(candidates[1:]))).scalars())
    return next(name for name in candidates[1:] if name not in taken)


def _customer_id(session: Session, names: Names, integration_id: int, choice: CustomerChoice) -> int:
    if choice.action != "create":
        found = session.connection().execute(sa.select(m.Customer.id).where(m.Customer.name == choice.name)).scalar()
        if found is None:  # deleted between mapping and writing
            raise LookupError(f"customer {choice.name!r} no longer exists")
        return found
    new = choice.new
    assert new is not None
    hint = [f"{new.name} ({new.email})"] if new.email and new.email != new.name else []
    name = _free_name(session, m.Customer.name, sa.true(), [new.name, *hint, *(f"{new.name} ({n})" for n in range(2, 200))])
    customer_id = _insert(
        session,
        m.Customer,
        {
            "name": name, "email": new.email, "company": new.company, "phone": new.phone,
            "first_name": new.first_name, "last_name": new.last_name,
            "customer_type_id": names.id(m.CustomerType, new.customer_type),
            "sales_rep_id": names.id(m.SalesRep, new.sales_rep),
            "sales_tax_code_id": names.id(m.SalesTaxCode, new.sales_tax_code),
            "item_sales_tax_id": names.id(m.ItemSalesTax, new.item_sales_tax),
            "taxable": new.taxable,
        },
    )
    refs = m.ExternalRef.__table__.c  # type: ignore[attr-defined]
    if new.cart_id and session.connection().execute(
        sa.select(refs.id).where(refs.integration_id == integration_id, refs.kind == CUSTOMER, refs.external_id == new.cart_id)
    ).first() is None:
        _insert(
            session, m.ExternalRef,
            {"integration_id": integration_id, "kind": CUSTOMER, "external_id": new.cart_id, "local_id": customer_id,
             "data": {}, "updated_at": m.utcnow()},
        )
    return customer_id


def _customer_by_name(session: Session, name: str | None) -> int | None:
    if name is None:
        return None
    return session.connection().execute(sa.select(m.Customer.id).where(m.Customer.name == name)).scalar()


def _ship_to_id(session: Session, customer_id: int, fallback_name: str, address: CartAddress) -> int:
    wanted = address.name or address.company or fallback_name
    candidates = [wanted] + ([f"{wanted}, {address.line1}"] if address.line1 else [])
    candidates += [f"{wanted} ({n})" for n in range(2, 200)]
    name = _free_name(session, m.ShipTo.name, m.ShipTo.customer_id == customer_id, candidates)
    return _insert(
        session,
        m.ShipTo,
        {
            "customer_id": customer_id, "name": name, "company": address.company, "line1": address.line1,
            "line2": address.line2, "city": address.city, "state": address.state,
            "postal_code": address.postal_code, "country": address.country, "phone": address.phone,
        },
    )


def _line_item_id(session: Session, names: Names, line: LineDraft, group_id: int | None) -> int | None:
    if line.kind == "discount":
        return names.discount_item_id(line.sku)
    item_id = names.item_id(line.sku)
    if item_id is None and line.new_item and line.sku:
        item_id = _insert(
            session, m.Item, {"sku": line.sku, "name": line.description or line.sku, "group_id": group_id,
                              "price": line.unit_price, "type": m.ItemType.INVENTORY, "taxable": True, "active": True},
        )
        names.forget_item(line.sku)
    return item_id


class Rows:
    """Rows of several orders' lines, payments, custom field values and bindings, inserted together.

    The writer inserts each order's customer, ship-to and transaction at once (the next order's
    mapping must see a customer the previous one created) and keeps the rest here, so a batch of
    orders costs one multi-row insert per table instead of one per order.
    """

    def __init__(self) -> None:
        self.by_table: dict[type, list[dict[str, Any]]] = {
            m.TransactionLine: [], m.Payment: [], m.CustomFieldValue: [], m.ExternalRef: []
        }
        self.transactions: list[int] = []

    def insert(self, session: Session) -> None:
        """Insert what was kept and number the transactions.

        :raises AlreadyImported: an order's binding exists (another process imported it meanwhile).
        """
        for model, rows in self.by_table.items():
            try:
                _insert_many(session, model, rows)
            except IntegrityError as exc:
                if model is not m.ExternalRef:
                    raise
                raise AlreadyImported(", ".join(r["data"]["number"] for r in rows)) from exc
        number_transactions(session, self.transactions)


def write_order(
    session: Session, integration_id: int, draft: TransactionDraft, *, cart_updated_at: str,
    new_item_group: str | None = None, names: Names | None = None, rows: Rows | None = None,
    identity: dict[str, str] | None = None,
) -> int:
    """Write ``draft`` and its bindings in the caller's database transaction (and savepoint).

    Returns the new transaction's id. With ``rows``, the order's lines, payments, custom field
    values and binding are kept there for the caller to insert with a batch (:meth:`Rows.insert`);
    without, they are inserted now and the transaction numbered. The order's binding goes in last:
    if another process bound the order meanwhile, the unique binding fails and the caller's
    savepoint takes back everything written for it. ``names`` is a cache to share across a job.
    ``identity`` (the cart's customer and total) is kept on the binding, so a cart id that comes
    back for a different order is told apart from the same order changed.

    :raises AlreadyImported: the order is bound already (at once when ``rows`` is None).
    """
    names = names or Names(session)
    now = m.utcnow()
    customer_id = _customer_id(session, names, integration_id, draft.customer)
    ship_to_id = draft.ship_to.existing_id
    if draft.ship_to.action == "create" and draft.ship_to.address is not None:
        ship_to_id = _ship_to_id(session, customer_id, draft.customer.name, draft.ship_to.address)

    txn_id = _insert(
        session,
        m.Transaction,
        {
            "type": m.TransactionType(draft.type), "number": f"pending-{integration_id}-{draft.cart_order_id}",
            "date": draft.date, "customer_id": customer_id, "ship_to_id": ship_to_id, "status": draft.status,
            "accounting_customer_id": _customer_by_name(session, draft.accounting_customer),
            "hold": draft.hold, "web_order_number": draft.web_order_number, "integration_id": integration_id,
            "location_id": names.id(m.Location, draft.location), "class_id": names.id(m.TransactionClass, draft.class_),
            "ship_method_id": names.id(m.ShipMethod, draft.ship_method),
            "sales_tax_code_id": names.id(m.SalesTaxCode, draft.sales_tax_code),
            "item_sales_tax_id": names.id(m.ItemSalesTax, draft.item_sales_tax),
            "freight_item_sales_tax_id": names.id(m.ItemSalesTax, draft.freight_sales_tax),
            "subtotal": draft.subtotal, "freight": draft.freight, "tax": draft.tax, "total": draft.total,
            "currency": draft.currency, "created_at": now, "updated_at": now,
            **_address_fields("bill", draft.bill_to), **_address_fields("ship", draft.ship_to.address),
        },
    )
    kept = rows if rows is not None else Rows()
    group_id = names.id(m.ItemGroup, new_item_group)
    kept.by_table[m.TransactionLine] += [
        {
            "transaction_id": txn_id, "line_no": n, "kind": m.LineKind(line.kind),
            "item_id": _line_item_id(session, names, line, group_id), "description": line.description,
            "quantity": line.quantity, "unit_price": line.unit_price, "amount": line.amount, "taxable": line.taxable,
            "item_sales_tax_id": names.id(m.ItemSalesTax, line.item_sales_tax),
        }
        for n, line in enumerate(draft.lines, start=1)
    ]
    kept.by_table[m.Payment] += [
        {"transaction_id": txn_id, "payment_method_id": names.id(m.PaymentMethod, p.method),
         "term_id": names.id(m.Term, p.term), "amount": Decimal(p.amount), "reference": p.reference}
        for p in draft.payments
    ]
    kept.by_table[m.CustomFieldValue] += [
        {"transaction_id": txn_id, "custom_field_id": names.id(m.CustomField, field), "value": value}
        for field, value in draft.custom_fields.items()
    ]
    kept.by_table[m.ExternalRef].append(
        {"integration_id": integration_id, "kind": ORDER, "external_id": draft.cart_order_id, "local_id": txn_id,
         "updated_at": now, "data": {"number": draft.web_order_number, "cart_updated_at": cart_updated_at, **(identity or {})}}
    )
    kept.transactions.append(txn_id)
    if rows is None:
        kept.insert(session)
    return txn_id


def number_transactions(session: Session, ids: list[int]) -> None:
    """Give new transactions their numbers: SO-000042 for sales orders, SD-000042 for ship docs."""
    if not ids:
        return
    table = m.Transaction.__table__  # type: ignore[attr-defined]
    rows = session.connection().execute(sa.select(table.c.id, table.c.type).where(table.c.id.in_(ids))).all()
    prefix = {m.TransactionType.SALES_ORDER: "SO", m.TransactionType.SHIP_DOC: "SD"}
    session.connection().execute(
        table.update().where(table.c.id == sa.bindparam("row_id")),
        [{"row_id": row.id, "number": f"{prefix[m.TransactionType(row.type)]}-{row.id:06d}"} for row in rows],
    )
