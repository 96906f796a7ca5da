"""The writer (OCA's binder + synchronizer's last step): a mapped order becomes rows, exactly once.

An order is written as its transaction with its lines, payments and custom field values, the
customer and ship-to when new, and the bindings (cart order id → transaction, cart customer id →
customer), all inside the caller's database transaction. The order's binding is unique in the
database per (integration, kind, external id), so an order can be written only once, even by two
processes racing: the loser's insert of the binding fails (:class:`AlreadyImported`) and its
savepoint takes back everything written with it.

A job writes its orders a batch at a time (:class:`BatchWriter`: one multi-row insert per table,
about a dozen statements per batch, :mod:`ecom.jobs.bulk`); an order written alone, as when a
batch goes again order by order, goes through :func:`write_order` (a few statements).

Two imports writing the same new customers at once (PostgreSQL) write each batch in one order
(:func:`lock_order`) and run a batch again when the database gives it up in a deadlock
(:func:`batch_retried`), so no order fails for it.

It writes with SQL inserts rather than ORM objects (no flush of a unit of work): importing is the
hot path (see ``bench/import_throughput.py``).
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
from ecom.jobs.bulk import insert_many, new_ids
from ecom.mapping.batch import BatchLookups
from ecom.mapping.customers import customer_names
from ecom.mapping.draft import CustomerChoice, LineDraft, NewCustomer, TransactionDraft
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


def _insert_many(session: Session, model: type, rows: list[dict[str, Any]], *returning: str) -> list[Any]:
    """Insert ``rows`` in one statement or a few (:func:`ecom.jobs.bulk.insert_many`)."""
    return insert_many(session.connection(), model.__table__, rows, *returning)  # type: ignore[attr-defined]


ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "state", "postal_code", "country", "phone")


#: the transaction's address columns: (column, address field) for bill-to and ship-to
ADDRESS_COLUMNS = {
    "bill": [(f"bill_{field}", field) for field in (*ADDRESS_FIELDS, "email")],
    "ship": [(f"ship_{field}", field) for field in ADDRESS_FIELDS],
}


def _address_fields(prefix: str, address: CartAddress | None) -> dict[str, Any]:
    """The transaction's columns for ``address`` (all of them, None without an address, so every
    row of a batch has the same keys)."""
    if address is None:
        return dict.fromkeys(column for column, _ in ADDRESS_COLUMNS[prefix])
    fields = {column: getattr(address, field) for column, field in ADDRESS_COLUMNS[prefix]}
    fields[f"{prefix}_name"] = fields[f"{prefix}_name"] or None
    return fields


def _free_name(session: Session, column: Any, where: Any, candidates: list[str]) -> str:
    """The first candidate not taken (usually the first: asked alone before the others)."""
    connection = session.connection()
    if connection.execute(sa.select(column).where(where, column == candidates[0])).first() is None:
        return candidates[0]
    taken = set(connection.execute(sa.select(column).where(where, column.in_(candidates[1:]))).scalars())
    return next(name for name in candidates[1:] if name not in taken)


def _customer_row(names: Names, new: NewCustomer, name: str) -> dict[str, Any]:
    return {
        "name": name, "email": new.email, "company": new.company, "phone": new.phone,
        "first_name": new.first_name, "last_name": new.last_name,
        "customer_type_id": names.id(m.CustomerType, new.customer_type),
        "sales_rep_id": names.id(m.SalesRep, new.sales_rep),
        "sales_tax_code_id": names.id(m.SalesTaxCode, new.sales_tax_code),
        "item_sales_tax_id": names.id(m.ItemSalesTax, new.item_sales_tax),
        "taxable": new.taxable,
    }


def _customer_ref(integration_id: int, cart_id: str, customer_id: int) -> dict[str, Any]:
    return {"integration_id": integration_id, "kind": CUSTOMER, "external_id": cart_id, "local_id": customer_id,
            "data": {}, "updated_at": m.utcnow()}


def _customer_id(session: Session, names: Names, integration_id: int, choice: CustomerChoice) -> int:
    if choice.action != "create":
        found = session.connection().execute(sa.select(m.Customer.id).where(m.Customer.name == choice.name)).scalar()
        if found is None:  # deleted between mapping and writing
            raise LookupError(f"customer {choice.name!r} no longer exists")
        return found
    new = choice.new
    assert new is not None
    name = _free_name(session, m.Customer.name, sa.true(), customer_names(new.name, new.email))
    customer_id = _insert(session, m.Customer, _customer_row(names, new, name))
    refs = m.ExternalRef.__table__.c  # type: ignore[attr-defined]
    if new.cart_id and session.connection().execute(
        sa.select(refs.id).where(refs.integration_id == integration_id, refs.kind == CUSTOMER, refs.external_id == new.cart_id)
    ).first() is None:
        _insert(session, m.ExternalRef, _customer_ref(integration_id, new.cart_id, customer_id))
    return customer_id


def _customer_by_name(session: Session, name: str | None) -> int | None:
    if name is None:
        return None
    return session.connection().execute(sa.select(m.Customer.id).where(m.Customer.name == name)).scalar()


def _ship_to_names(fallback_name: str, address: CartAddress) -> list[str]:
    """The names a new ship-to may take, best first: the addressee, then with the street, then numbered."""
    wanted = address.name or address.company or fallback_name
    candidates = [wanted] + ([f"{wanted}, {address.line1}"] if address.line1 else [])
    return candidates + [f"{wanted} ({n})" for n in range(2, 200)]


def _ship_to_row(customer_id: int, name: str, address: CartAddress) -> dict[str, Any]:
    return {
        "customer_id": customer_id, "name": name, "company": address.company, "line1": address.line1,
        "line2": address.line2, "city": address.city, "state": address.state,
        "postal_code": address.postal_code, "country": address.country, "phone": address.phone,
    }


def _ship_to_id(session: Session, customer_id: int, fallback_name: str, address: CartAddress) -> int:
    name = _free_name(session, m.ShipTo.name, m.ShipTo.customer_id == customer_id, _ship_to_names(fallback_name, address))
    return _insert(session, m.ShipTo, _ship_to_row(customer_id, name, address))


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


def _transaction_row(
    names: Names, integration_id: int, draft: TransactionDraft, customer_id: int, ship_to_id: int | None,
    accounting_customer_id: int | None,
) -> dict[str, Any]:
    now = m.utcnow()
    return {
        "type": m.TransactionType(draft.type), "number": _pending_number(integration_id, draft.cart_order_id),
        "date": draft.date, "customer_id": customer_id, "ship_to_id": ship_to_id, "status": draft.status,
        "accounting_customer_id": accounting_customer_id,
        "hold": draft.hold, "web_order_number": draft.web_order_number, "integration_id": integration_id,
        "location_id": names.id(m.Location, draft.location), "class_id": names.id(m.TransactionClass, draft.class_),
        "ship_method_id": names.id(m.ShipMethod, draft.ship_method),
        "sales_tax_code_id": names.id(m.SalesTaxCode, draft.sales_tax_code),
        "item_sales_tax_id": names.id(m.ItemSalesTax, draft.item_sales_tax),
        "freight_item_sales_tax_id": names.id(m.ItemSalesTax, draft.freight_sales_tax),
        "subtotal": draft.subtotal, "freight": draft.freight, "tax": draft.tax, "total": draft.total,
        "currency": draft.currency, "created_at": now, "updated_at": now,
        **_address_fields("bill", draft.bill_to), **_address_fields("ship", draft.ship_to.address),
    }


def _pending_number(integration_id: int, cart_order_id: str) -> str:
    """A new transaction's number until it has an id (unique: one transaction per cart order)."""
    return f"pending-{integration_id}-{cart_order_id}"


#: the tables of an order's rows that only point at its transaction, in the order inserted
CHILDREN = (m.TransactionLine, m.Payment, m.CustomFieldValue, m.ExternalRef)


def _child_rows(
    session: Session, names: Names, integration_id: int, draft: TransactionDraft, txn_id: int, *,
    cart_updated_at: str, new_item_group: str | None, identity: dict[str, str] | None,
) -> dict[type, list[dict[str, Any]]]:
    """The order's lines, payments, custom field values and binding (the binding last)."""
    group_id = names.id(m.ItemGroup, new_item_group)
    return {
        m.TransactionLine: [
            {
                "transaction_id": txn_id, "line_no": n, "kind": m.LineKind(line.kind),
                "item_id": _line_item_id(session, names, line, group_id), "description": line.description,
                "quantity": line.quantity, "unit_price": line.unit_price, "amount": line.amount, "taxable": line.taxable,
                "item_sales_tax_id": names.id(m.ItemSalesTax, line.item_sales_tax),
            }
            for n, line in enumerate(draft.lines, start=1)
        ],
        m.Payment: [
            {"transaction_id": txn_id, "payment_method_id": names.id(m.PaymentMethod, p.method),
             "term_id": names.id(m.Term, p.term), "amount": Decimal(p.amount), "reference": p.reference}
            for p in draft.payments
        ],
        m.CustomFieldValue: [
            {"transaction_id": txn_id, "custom_field_id": names.id(m.CustomField, field), "value": value}
            for field, value in draft.custom_fields.items()
        ],
        m.ExternalRef: [
            {"integration_id": integration_id, "kind": ORDER, "external_id": draft.cart_order_id, "local_id": txn_id,
             "updated_at": m.utcnow(),
             "data": {"number": draft.web_order_number, "cart_updated_at": cart_updated_at, **(identity or {})}}
        ],
    }


def _insert_children(session: Session, rows: dict[type, list[dict[str, Any]]]) -> None:
    """Insert orders' lines, payments, custom field values and bindings, a statement per table.

    :raises AlreadyImported: an order's binding exists (another process imported it meanwhile).
    """
    for model in CHILDREN:
        try:
            _insert_many(session, model, rows[model])
        except IntegrityError as exc:
            if model is not m.ExternalRef:
                raise
            raise AlreadyImported(", ".join(r["data"]["number"] for r in rows[model])) from exc


def write_order(
    session: Session, integration_id: int, draft: TransactionDraft, *, cart_updated_at: str,
    new_item_group: str | None = None, names: Names | None = None, identity: dict[str, str] | None = None,
) -> int:
    """Write ``draft`` and its bindings in the caller's database transaction (and savepoint), alone.

    Returns the new transaction's id, numbered. The order's binding goes in last: if another
    process bound the order meanwhile, the unique binding fails and the caller's savepoint takes
    back everything written for it. ``names`` is a cache to share across a job. ``identity``
    (the cart's customer and total) is kept on the binding, so a cart id that comes back for a
    different order is told apart from the same order changed. (A batch of orders is written by
    :class:`BatchWriter`, in a few statements.)

    :raises AlreadyImported: the order is bound already.
    """
    names = names or Names(session)
    customer_id = _customer_id(session, names, integration_id, draft.customer)
    ship_to_id = draft.ship_to.existing_id
    if draft.ship_to.action == "create" and draft.ship_to.address is not None:
        ship_to_id = _ship_to_id(session, customer_id, draft.customer.name, draft.ship_to.address)
    accounting_id = _customer_by_name(session, draft.accounting_customer)
    txn_id = _insert(session, m.Transaction, _transaction_row(names, integration_id, draft, customer_id, ship_to_id, accounting_id))
    _insert_children(session, _child_rows(
        session, names, integration_id, draft, txn_id,
        cart_updated_at=cart_updated_at, new_item_group=new_item_group, identity=identity,
    ))
    number_transactions(session, [txn_id])
    return txn_id


class BatchWriter:
    """A batch of orders' drafts, written together: one multi-row insert per table.

    :meth:`add` stages an order: its new customer and ship-to take provisional ids from
    ``lookups`` (:class:`~ecom.mapping.batch.BatchLookups`), so the next orders of the batch match
    them as rows written; its transaction and the rest wait here. :meth:`write` inserts the
    customers and the ship-tos (``RETURNING`` their ids, which replace the provisional ones), the
    customers' bindings, the transactions (ids taken first, :func:`~ecom.jobs.bulk.new_ids`, so
    each is written with its number), then the lines, payments, custom field values and the
    orders' bindings: about a dozen statements for the batch, whatever its size. All of it in the caller's savepoint: if one insert fails, the savepoint takes back the
    whole batch, for the caller to write it again order by order.
    """

    def __init__(self, session: Session, integration_id: int, names: Names, lookups: BatchLookups) -> None:
        self.session, self.integration_id, self.names, self.lookups = session, integration_id, names, lookups
        self.customers: list[tuple[int, dict[str, Any], str | None]] = []  # provisional id, row, cart id
        self.ship_tos: list[tuple[int, dict[str, Any]]] = []
        self.transactions: list[dict[str, Any]] = []
        self.children: dict[type, list[dict[str, Any]]] = {model: [] for model in CHILDREN}

    def add(
        self, draft: TransactionDraft, *, cart_updated_at: str, new_item_group: str | None = None,
        identity: dict[str, str] | None = None,
    ) -> None:
        """Stage ``draft`` (see :func:`write_order`)."""
        customer_id = self._customer(draft.customer)
        ship_to_id = draft.ship_to.existing_id
        if draft.ship_to.action == "create" and draft.ship_to.address is not None:
            ship_to_id = self._ship_to(customer_id, draft.customer.name, draft.ship_to.address)
        accounting_id = self.lookups.customer_id(draft.accounting_customer) if draft.accounting_customer else None
        self.transactions.append(_transaction_row(self.names, self.integration_id, draft, customer_id, ship_to_id, accounting_id))
        txn_id = -len(self.transactions)
        rows = _child_rows(
            self.session, self.names, self.integration_id, draft, txn_id,
            cart_updated_at=cart_updated_at, new_item_group=new_item_group, identity=identity,
        )
        for model in CHILDREN:
            self.children[model] += rows[model]

    def _customer(self, choice: CustomerChoice) -> int:
        if choice.action != "create":
            found = self.lookups.customer_id(choice.name)
            if found is None:  # deleted between mapping and writing
                raise LookupError(f"customer {choice.name!r} no longer exists")
            return found
        new = choice.new
        assert new is not None
        candidates = customer_names(new.name, new.email)
        taken = self.lookups.taken_customer_names(candidates[:1])  # usually free: asked alone first
        if taken:
            taken |= self.lookups.taken_customer_names(candidates[1:])
        row = _customer_row(self.names, new, next(name for name in candidates if name not in taken))
        customer_id = self.lookups.add_customer(row, new.cart_id)
        self.customers.append((customer_id, row, new.cart_id))
        return customer_id

    def _ship_to(self, customer_id: int, fallback_name: str, address: CartAddress) -> int:
        taken = self.lookups.ship_to_names(customer_id)
        name = next(name for name in _ship_to_names(fallback_name, address) if name not in taken)
        row = _ship_to_row(customer_id, name, address)
        ship_to_id = self.lookups.add_ship_to(row)
        self.ship_tos.append((ship_to_id, row))
        return ship_to_id

    def write(self) -> None:
        """Insert everything staged (see the class).

        :raises AlreadyImported: an order's binding exists (another process imported it meanwhile).
        """
        session = self.session
        inserted = dict(_insert_many(session, m.Customer, [row for _, row, _ in self.customers], "name", "id"))
        customers = {provisional: inserted[row["name"]] for provisional, row, _ in self.customers}
        self._bind_customers(customers)

        rows = [{**row, "customer_id": customers.get(row["customer_id"], row["customer_id"])} for _, row in self.ship_tos]
        inserted = {(c, n): i for c, n, i in _insert_many(session, m.ShipTo, rows, "customer_id", "name", "id")}
        ship_tos = {provisional: inserted[(row["customer_id"], row["name"])]
                    for (provisional, _), row in zip(self.ship_tos, rows, strict=True)}

        rows = [
            {**row, "customer_id": customers.get(row["customer_id"], row["customer_id"]),
             "ship_to_id": ship_tos.get(row["ship_to_id"], row["ship_to_id"]),
             "accounting_customer_id": customers.get(row["accounting_customer_id"], row["accounting_customer_id"])}
            for row in self.transactions
        ]
        ids = new_ids(session.connection(), m.Transaction.__table__, len(rows))  # type: ignore[attr-defined]
        for row, txn_id in zip(rows, ids, strict=True):  # numbered as written: no UPDATE of every row after
            row["id"], row["number"] = txn_id, transaction_number(row["type"], txn_id)
        _insert_many(session, m.Transaction, rows)
        transactions = {-n: txn_id for n, txn_id in enumerate(ids, start=1)}
        _insert_children(session, {
            model: [{**row, key: transactions[row[key]]} for row in self.children[model]]
            for model, key in zip(CHILDREN, ("transaction_id", "transaction_id", "transaction_id", "local_id"), strict=True)
        })

    def _bind_customers(self, customers: dict[int, int]) -> None:
        """Bind each new customer to its cart id, unless the cart id is bound already (the first one wins)."""
        wanted: dict[str, int] = {}
        for provisional, _, cart_id in self.customers:
            if cart_id:
                wanted.setdefault(cart_id, customers[provisional])
        if not wanted:
            return
        refs = m.ExternalRef.__table__.c  # type: ignore[attr-defined]
        bound = set(self.session.connection().execute(
            sa.select(refs.external_id).where(
                refs.integration_id == self.integration_id, refs.kind == CUSTOMER, refs.external_id.in_(list(wanted))
            )
        ).scalars())
        _insert_many(self.session, m.ExternalRef, [
            _customer_ref(self.integration_id, cart_id, customer_id)
            for cart_id, customer_id in wanted.items() if cart_id not in bound
        ])


def number_transactions(session: Session, ids: list[int]) -> None:
    """Give new transactions their numbers: SO-000042 for sales orders, SD-000042 for ship docs."""
    if not ids:
        return
    table = m.Transaction.__table__  # type: ignore[attr-defined]
    rows = session.connection().execute(sa.select(table.c.id, table.c.type).where(table.c.id.in_(ids))).all()
    _number(session, [(row.id, m.TransactionType(row.type)) for row in rows])


PREFIX = {m.TransactionType.SALES_ORDER: "SO", m.TransactionType.SHIP_DOC: "SD"}


def transaction_number(kind: m.TransactionType, txn_id: int) -> str:
    return f"{PREFIX[kind]}-{txn_id:06d}"


def _number(session: Session, transactions: list[tuple[int, m.TransactionType]]) -> None:
    """Number transactions written alone (a batch's are written with their numbers)."""
    if not transactions:
        return
    table = m.Transaction.__table__  # type: ignore[attr-defined]
    numbers = [{"row_id": txn_id, "number": transaction_number(kind, txn_id)} for txn_id, kind in transactions]
    session.connection().execute(table.update().where(table.c.id == sa.bindparam("row_id")), numbers)
