"""The writer (OCA's binder + synchronizer's last step): a mapped order becomes rows, exactly once.

:func:`write_order` creates the transaction with its lines, payments and custom field values, the
customer and ship-to when new, and the bindings (cart order id → transaction, cart customer id →
customer), all inside the caller's database transaction. The binding of the order is unique in
the database per (integration, kind, external id), so an order can be written only once, even by
two processes racing: the loser gets :class:`AlreadyImported`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ecom import models as m
from ecom.binding import find as binding
from ecom.mapping.draft import CustomerChoice, LineDraft, TransactionDraft
from ecom.records import CartAddress

ORDER, CUSTOMER = "order", "customer"


class AlreadyImported(Exception):
    """The order has a binding already: it was imported before (or by another process just now)."""


class _Names:
    """Name → id for the back-office lists a draft names, read once per session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[type, dict[str, int]] = {}

    def id(self, model: type, name: str | None) -> int | None:
        if name is None:
            return None
        if model not in self._cache:
            self._cache[model] = {row.name: row.id for row in self.session.exec(select(model))}
        return self._cache[model].get(name)

    def item_id(self, sku: str | None) -> int | None:
        if sku is None:
            return None
        return self.session.exec(select(m.Item.id).where(m.Item.sku == sku)).first()


def _address_fields(prefix: str, address: CartAddress | None) -> dict[str, Any]:
    if address is None:
        return {}
    return {
        f"{prefix}_name": address.name or None,
        f"{prefix}_company": address.company,
        f"{prefix}_line1": address.line1,
        f"{prefix}_line2": address.line2,
        f"{prefix}_city": address.city,
        f"{prefix}_state": address.state,
        f"{prefix}_postal_code": address.postal_code,
        f"{prefix}_country": address.country,
        f"{prefix}_phone": address.phone,
        **({f"{prefix}_email": address.email} if prefix == "bill" else {}),
    }


def _unique_customer_name(session: Session, wanted: str, hint: str | None) -> str:
    candidates = [wanted] + ([f"{wanted} ({hint})"] if hint and hint != wanted else [])
    candidates += [f"{wanted} ({n})" for n in range(2, 1000)]
    for name in candidates:
        if session.exec(select(m.Customer.id).where(m.Customer.name == name)).first() is None:
            return name
    raise ValueError(f"no free customer name for {wanted!r}")


def _unique_ship_to_name(session: Session, customer_id: int, wanted: str, street: str | None) -> str:
    """A ship-to name free for this customer: the addressee, then with the street, then numbered."""
    taken = set(session.exec(select(m.ShipTo.name).where(m.ShipTo.customer_id == customer_id)))
    candidates = [wanted] + ([f"{wanted}, {street}"] if street else []) + [f"{wanted} ({n})" for n in range(2, 10_000)]
    return next(name for name in candidates if name not in taken)


def _customer(session: Session, names: _Names, integration_id: int, choice: CustomerChoice) -> m.Customer:
    if choice.action != "create":
        customer = session.exec(select(m.Customer).where(m.Customer.name == choice.name)).first()
        if customer is None:  # deleted between mapping and writing
            raise LookupError(f"customer {choice.name!r} no longer exists")
        return customer
    new = choice.new
    assert new is not None
    customer = m.Customer(
        name=_unique_customer_name(session, new.name, new.email),
        email=new.email,
        company=new.company,
        phone=new.phone,
        first_name=new.first_name,
        last_name=new.last_name,
        customer_type_id=names.id(m.CustomerType, new.customer_type),
        sales_rep_id=names.id(m.SalesRep, new.sales_rep),
        sales_tax_code_id=names.id(m.SalesTaxCode, new.sales_tax_code),
        item_sales_tax_id=names.id(m.ItemSalesTax, new.item_sales_tax),
        taxable=new.taxable,
    )
    session.add(customer)
    session.flush()
    if new.cart_id and binding(session, integration_id, CUSTOMER, new.cart_id) is None:
        session.add(m.ExternalRef(integration_id=integration_id, kind=CUSTOMER, external_id=new.cart_id, local_id=customer.id))
    return customer


def _line(names: _Names, session: Session, number: int, line: LineDraft, group_id: int | None) -> m.TransactionLine:
    if line.kind == "discount":
        discount = session.exec(select(m.Discount).where(m.Discount.name == line.sku)).first() if line.sku else None
        item_id = discount.item_id if discount else None
    else:
        item_id = names.item_id(line.sku)
        if item_id is None and line.new_item and line.sku:
            item = m.Item(sku=line.sku, name=line.description or line.sku, group_id=group_id, price=line.unit_price)
            session.add(item)
            session.flush()
            item_id = item.id
    return m.TransactionLine(
        line_no=number,
        kind=m.LineKind(line.kind),
        item_id=item_id,
        description=line.description,
        quantity=line.quantity,
        unit_price=line.unit_price,
        amount=line.amount,
        taxable=line.taxable,
        item_sales_tax_id=names.id(m.ItemSalesTax, line.item_sales_tax),
    )


def write_order(
    session: Session, integration_id: int, draft: TransactionDraft, *, cart_updated_at: str, new_item_group: str | None = None
) -> m.Transaction:
    """Write ``draft`` and its bindings in the caller's transaction (use a savepoint per order).

    :raises AlreadyImported: the order is bound already.
    """
    if binding(session, integration_id, ORDER, draft.cart_order_id) is not None:
        raise AlreadyImported(draft.web_order_number)
    names = _Names(session)
    # Claim the order first: a racing writer fails here, before creating anything.
    ref = m.ExternalRef(
        integration_id=integration_id, kind=ORDER, external_id=draft.cart_order_id,
        data={"number": draft.web_order_number, "cart_updated_at": cart_updated_at},
    )
    session.add(ref)
    try:
        session.flush()
    except IntegrityError as exc:
        raise AlreadyImported(draft.web_order_number) from exc

    customer = _customer(session, names, integration_id, draft.customer)
    ship_to_id = draft.ship_to.existing_id
    if draft.ship_to.action == "create" and draft.ship_to.address is not None:
        a = draft.ship_to.address
        name = _unique_ship_to_name(session, customer.id, a.name or a.company or customer.name, a.line1)
        ship_to = m.ShipTo(
            customer_id=customer.id, name=name, company=a.company, line1=a.line1,
            line2=a.line2, city=a.city, state=a.state, postal_code=a.postal_code, country=a.country, phone=a.phone,
        )
        session.add(ship_to)
        session.flush()
        ship_to_id = ship_to.id

    ship_address = draft.ship_to.address
    txn = m.Transaction(
        type=m.TransactionType(draft.type),
        number=f"pending-{integration_id}-{draft.cart_order_id}",
        date=draft.date,
        customer_id=customer.id,
        ship_to_id=ship_to_id,
        status=draft.status,
        hold=draft.hold,
        web_order_number=draft.web_order_number,
        integration_id=integration_id,
        location_id=names.id(m.Location, draft.location),
        class_id=names.id(m.TransactionClass, draft.class_),
        ship_method_id=names.id(m.ShipMethod, draft.ship_method),
        sales_tax_code_id=names.id(m.SalesTaxCode, draft.sales_tax_code),
        item_sales_tax_id=names.id(m.ItemSalesTax, draft.item_sales_tax),
        subtotal=draft.subtotal,
        freight=draft.freight,
        tax=draft.tax,
        total=draft.total,
        currency=draft.currency,
        **_address_fields("bill", draft.bill_to),
        **_address_fields("ship", ship_address),
    )
    group_id = names.id(m.ItemGroup, new_item_group)
    txn.lines = [_line(names, session, n, line, group_id) for n, line in enumerate(draft.lines, start=1)]
    txn.payments = [
        m.Payment(
            payment_method_id=names.id(m.PaymentMethod, p.method), term_id=names.id(m.Term, p.term),
            amount=Decimal(p.amount), reference=p.reference,
        )
        for p in draft.payments
    ]
    txn.custom_values = [
        m.CustomFieldValue(custom_field_id=names.id(m.CustomField, field), value=value)
        for field, value in draft.custom_fields.items()
    ]
    session.add(txn)
    session.flush()
    txn.number = f"{'SO' if txn.type is m.TransactionType.SALES_ORDER else 'SD'}-{txn.id:06d}"
    ref.local_id = txn.id
    session.flush()
    return txn
