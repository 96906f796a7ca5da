"""What the mapping engine asks the back office, and nothing more.

The engine is pure: it reads the back office only through this :class:`Lookups` protocol, so the
same rules run inside a job (:class:`DbLookups`, one session, sees customers created earlier in
the same job) and in tests (an in-memory implementation). Matching keys are computed by the
engine (:mod:`ecom.mapping.customers`); a lookup only finds a row by its key.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from sqlalchemy import func
from sqlmodel import Session, select

from ecom import models as m


@dataclass(frozen=True)
class ItemInfo:
    sku: str
    name: str
    type: str
    taxable: bool
    active: bool


@dataclass(frozen=True)
class CustomerInfo:
    name: str
    taxable: bool


@dataclass(frozen=True)
class ShipMethodInfo:
    name: str
    other_charge_item: str | None


class Lookups(Protocol):
    """The back office as the mapping engine sees it."""

    def item(self, sku: str) -> ItemInfo | None: ...

    def customer(self, name: str) -> CustomerInfo | None: ...

    def find_customer(self, rule: str, key: str) -> CustomerInfo | None:
        """The customer matching ``key`` under ``rule`` (email / cart_id / company / name_postal)."""

    def find_ship_to(self, customer: str, key: str) -> int | None:
        """The id of the customer's ship-to whose normalised address key is ``key``."""

    def item_sales_tax_rate(self, name: str) -> Decimal | None: ...

    def ship_method(self, name: str) -> ShipMethodInfo | None: ...

    def term_type(self, name: str) -> str | None: ...


def normalise(*parts: str | None) -> str:
    """A matching key: parts lower-cased, inner whitespace collapsed, joined by '|'."""
    return "|".join(" ".join((p or "").lower().split()) for p in parts)


class DbLookups:
    """:class:`Lookups` over a database session. Small lists are read once; rows by key on demand."""

    def __init__(self, session: Session, integration_id: int | None = None) -> None:
        self.session, self.integration_id = session, integration_id
        self._rates = {t.name: t.rate for t in session.exec(select(m.ItemSalesTax))}
        self._terms = {t.name: t.term_type.value for t in session.exec(select(m.Term))}
        items = {i.id: i.sku for i in session.exec(select(m.Item).where(m.Item.type == m.ItemType.OTHER_CHARGE))}
        self._ship_methods = {
            s.name: ShipMethodInfo(s.name, items.get(s.other_charge_item_id)) for s in session.exec(select(m.ShipMethod))
        }

    def item(self, sku: str) -> ItemInfo | None:
        row = self.session.exec(select(m.Item).where(m.Item.sku == sku)).first()
        return ItemInfo(row.sku, row.name, row.type.value, row.taxable, row.active) if row else None

    def customer(self, name: str) -> CustomerInfo | None:
        row = self.session.exec(select(m.Customer).where(m.Customer.name == name)).first()
        return CustomerInfo(row.name, row.taxable) if row else None

    def find_customer(self, rule: str, key: str) -> CustomerInfo | None:
        query = select(m.Customer)
        if rule == "email":
            query = query.where(func.lower(m.Customer.email) == key)
        elif rule == "company":
            query = query.where(func.lower(func.trim(m.Customer.company)) == key)
        elif rule == "cart_id":
            query = query.join(m.ExternalRef, m.ExternalRef.local_id == m.Customer.id).where(
                m.ExternalRef.integration_id == self.integration_id,
                m.ExternalRef.kind == "customer",
                m.ExternalRef.external_id == key,
            )
        elif rule == "name_postal":
            name, _, postal = key.partition("|")
            query = query.join(m.ShipTo, m.ShipTo.customer_id == m.Customer.id).where(
                func.lower(m.Customer.name) == name, func.lower(m.ShipTo.postal_code) == postal
            )
        else:
            raise ValueError(f"unknown customer matching rule {rule!r}")
        row = self.session.exec(query.order_by(m.Customer.id)).first()
        return CustomerInfo(row.name, row.taxable) if row else None

    def find_ship_to(self, customer: str, key: str) -> int | None:
        rows = self.session.exec(
            select(m.ShipTo).join(m.Customer, m.Customer.id == m.ShipTo.customer_id).where(m.Customer.name == customer)
        )
        for row in rows:
            if normalise(row.name, row.line1, row.city, row.postal_code, row.country) == key:
                return row.id
        return None

    def item_sales_tax_rate(self, name: str) -> Decimal | None:
        return self._rates.get(name)

    def ship_method(self, name: str) -> ShipMethodInfo | None:
        return self._ship_methods.get(name)

    def term_type(self, name: str) -> str | None:
        return self._terms.get(name)
