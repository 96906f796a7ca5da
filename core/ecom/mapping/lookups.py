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

from typing import Any

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
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
    """:class:`Lookups` over a database session: small lists read once, rows by key on demand.

    Lookups by key are SQL statements built once and run on the session's connection (they see
    what the job wrote so far, and do not flush the session). Case-insensitive matches use the
    expression indexes on customers (``lower(email)``, ``lower(trim(company))``, ``lower(name)``).
    """

    def __init__(self, session: Session, integration_id: int | None = None) -> None:
        self.session, self.integration_id = session, integration_id
        self._items: dict[str, ItemInfo] = {}
        self._rates = {t.name: t.rate for t in session.exec(select(m.ItemSalesTax))}
        self._terms = {t.name: t.term_type.value for t in session.exec(select(m.Term))}
        items = {i.id: i.sku for i in session.exec(select(m.Item).where(m.Item.type == m.ItemType.OTHER_CHARGE))}
        self._ship_methods = {
            s.name: ShipMethodInfo(s.name, items.get(s.other_charge_item_id)) for s in session.exec(select(m.ShipMethod))
        }
        c, r, t = m.Customer.__table__.c, m.ExternalRef.__table__.c, m.ShipTo.__table__.c  # type: ignore[attr-defined]
        key, wanted = bindparam("key"), (c.name, c.taxable)
        self._customer_by = {
            "name": sa_select(*wanted).where(c.name == key),
            "email": sa_select(*wanted).where(func.lower(c.email) == key).order_by(c.id).limit(1),
            "company": sa_select(*wanted).where(func.lower(func.trim(c.company)) == key).order_by(c.id).limit(1),
            "cart_id": sa_select(*wanted)
            .join(m.ExternalRef.__table__, r.local_id == c.id)  # type: ignore[attr-defined]
            .where(r.integration_id == bindparam("integration"), r.kind == "customer", r.external_id == key)
            .limit(1),
            "name_postal": sa_select(*wanted)
            .join(m.ShipTo.__table__, t.customer_id == c.id)  # type: ignore[attr-defined]
            .where(func.lower(c.name) == key, func.lower(t.postal_code) == bindparam("postal"))
            .order_by(c.id)
            .limit(1),
        }
        self._ship_tos = (
            sa_select(t.id, t.name, t.line1, t.city, t.postal_code, t.country)
            .join(m.Customer.__table__, c.id == t.customer_id)  # type: ignore[attr-defined]
            .where(c.name == key)
        )
        self._item = sa_select(*(m.Item.__table__.c[n] for n in ("sku", "name", "type", "taxable", "active"))).where(  # type: ignore[attr-defined]
            m.Item.__table__.c.sku == key  # type: ignore[attr-defined]
        )

    def forget(self) -> None:
        """Drop the items read so far (after a rollback, they may be gone)."""
        self._items.clear()

    def _one(self, statement: Any, **params: Any) -> Any:
        return self.session.connection().execute(statement, params).first()

    def item(self, sku: str) -> ItemInfo | None:
        if sku not in self._items:  # items found are kept for the job; unknown SKUs are asked again
            row = self._one(self._item, key=sku)
            if row is None:
                return None
            kind = row.type.value if hasattr(row.type, "value") else row.type
            self._items[sku] = ItemInfo(row.sku, row.name, kind, row.taxable, row.active)
        return self._items[sku]

    def customer(self, name: str) -> CustomerInfo | None:
        row = self._one(self._customer_by["name"], key=name)
        return CustomerInfo(row.name, row.taxable) if row else None

    def find_customer(self, rule: str, key: str) -> CustomerInfo | None:
        if rule not in self._customer_by or rule == "name":
            raise ValueError(f"unknown customer matching rule {rule!r}")
        params: dict[str, Any] = {"key": key}
        if rule == "cart_id":
            params["integration"] = self.integration_id
        if rule == "name_postal":
            params["key"], _, params["postal"] = key.partition("|")
        row = self._one(self._customer_by[rule], **params)
        return CustomerInfo(row.name, row.taxable) if row else None

    def find_ship_to(self, customer: str, key: str) -> int | None:
        for row in self.session.connection().execute(self._ship_tos, {"key": customer}):
            if normalise(row.name, row.line1, row.city, row.postal_code, row.country) == key:
                return row.id
        return None

    def item_sales_tax_rate(self, name: str) -> Decimal | None:
        return self._rates.get(name)

    def ship_method(self, name: str) -> ShipMethodInfo | None:
        return self._ship_methods.get(name)

    def term_type(self, name: str) -> str | None:
        return self._terms.get(name)
