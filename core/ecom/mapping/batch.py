"""The back office as one batch of orders sees it: read in a few queries, shared with the writer.

A job maps and writes its orders in batches (:mod:`ecom.jobs.orders`). Asked order by order, the
back office costs a query per customer match, per ship-to match and per customer id, which was
most of an import's round trips. :class:`BatchLookups` reads, before the batch is mapped, every
customer its orders can match (one query per matching rule), those customers' ship-tos, and which
of the names its new customers would take are taken (one query each).

The batch's writer (:class:`ecom.jobs.writer.BatchWriter`) stages each order's new customer and
ship-to here under a provisional id (negative, in the order staged) before the next order is
mapped, and that order finds them exactly as it would find rows already written: matched by the
same rule, the same key, the first written first. The writer swaps provisional ids for the
database's when it inserts the batch.

What the batch reads, it reads once: a customer another process writes meanwhile is seen by the
next batch (as one written between a lookup and a write never was). If that makes the batch's
insert fail (a name taken meanwhile), the whole batch goes again order by order
(:func:`ecom.jobs.orders.import_batch`), which reads and writes each order alone.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ecom import models as m
from ecom.drivers import chunks
from ecom.mapping.customers import customer_key, customer_names, new_customer_name, order_email
from ecom.mapping.lookups import CustomerInfo, DbLookups, ItemInfo, ShipMethodInfo, normalise
from ecom.records import CartOrder
from ecom.settings import Preferences

#: values per ``IN (...)`` list (well under SQLite's and PostgreSQL's bound-parameter limits)
IN_CHUNK = 500

_C = m.Customer.__table__.c  # type: ignore[attr-defined]
_R = m.ExternalRef.__table__.c  # type: ignore[attr-defined]
_T = m.ShipTo.__table__.c  # type: ignore[attr-defined]
_CUSTOMER = (_C.id, _C.name, _C.taxable)
#: per matching rule: what a customer is matched on, as the database computes it (the same
#: expressions as :class:`DbLookups`' statements, so both find the same customers)
_KEYS = {"email": sa.func.lower(_C.email), "company": sa.func.lower(sa.func.trim(_C.company))}
# Built once, the lists as expanding parameters: a list written into a statement costs SQLAlchemy
# a new cache key of every value on every call.
_WANTED = sa.bindparam("keys", expanding=True)
_NAME, _POSTAL = sa.func.lower(_C.name), sa.func.lower(_T.postal_code)
_BY_KEY = {
    rule: sa.select(*_CUSTOMER, key.label("key")).where(key.in_(_WANTED)).order_by(_C.id) for rule, key in _KEYS.items()
}
_BY_CART_ID = (
    sa.select(*_CUSTOMER, _R.external_id.label("key"))
    .join(m.ExternalRef.__table__, _R.local_id == _C.id)  # type: ignore[attr-defined]
    .where(_R.integration_id == sa.bindparam("integration"), _R.kind == "customer", _R.external_id.in_(_WANTED))
    .order_by(_C.id)
)
_BY_NAME_POSTAL = (
    sa.select(*_CUSTOMER, _NAME.label("n"), _POSTAL.label("p"))
    .join(m.ShipTo.__table__, _T.customer_id == _C.id)  # type: ignore[attr-defined]
    .where(_NAME.in_(sa.bindparam("names", expanding=True)), _POSTAL.in_(sa.bindparam("postals", expanding=True)))
    .order_by(_C.id)
)
_SHIP_TOS = (
    sa.select(_T.id, _T.customer_id, _T.name, _T.line1, _T.city, _T.postal_code, _T.country)
    .where(_T.customer_id.in_(_WANTED)).order_by(_T.id)
)
_TAKEN = sa.select(_C.name).where(_C.name.in_(_WANTED))


@dataclass
class Known:
    """A customer the batch knows: read from the database (id > 0) or staged by the writer (id < 0)."""

    id: int
    name: str
    taxable: bool
    email: str | None = None
    company: str | None = None


@dataclass
class KnownShipTo:
    id: int
    customer_id: int
    name: str
    line1: str | None
    city: str | None
    postal_code: str | None
    country: str | None

    @functools.cached_property
    def key(self) -> str:
        """Its address as ship-to matching compares it (:func:`ecom.mapping.customers.address_key`)."""
        return normalise(self.name, self.line1, self.city, self.postal_code, self.country)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _ascii_lower(text: str) -> str:
    """SQLite's ``lower()``: ASCII letters only (``Élan`` stays ``Élan``)."""
    return text.translate(_ASCII_LOWER)


def _rank(customer: Known) -> tuple[bool, int]:
    """Rows written first: those in the database by id, then the staged ones in the order staged."""
    return customer.id < 0, abs(customer.id)


class BatchLookups:
    """:class:`~ecom.mapping.lookups.Lookups` for one batch of ``orders``, over ``base`` (the job's
    :class:`DbLookups`, which keeps items, tax rates, terms and ship methods for the whole job).

    Besides the protocol, the writer's side: :meth:`customer_id`, :meth:`taken_customer_names`,
    :meth:`ship_to_names`, :meth:`add_customer`, :meth:`add_ship_to`. A key, name or customer not
    read with the batch is asked of the database when first met, so an answer never depends on
    what was read beforehand, only its cost does.
    """

    def __init__(self, base: DbLookups, orders: list[CartOrder], prefs: Preferences) -> None:
        self.base = base
        # staged rows are matched with the database's lower(), so they match exactly what they will once written
        self._lower = _ascii_lower if base.session.connection().dialect.name == "sqlite" else str.lower
        self._found: dict[tuple[str, str], Known | None] = {}  # (rule, key) -> first match in the database
        self._named: dict[str, Known | None] = {}
        self._by_id: dict[int, Known] = {}
        self._ship_tos: dict[int, list[KnownShipTo]] = {}  # customer id -> its ship-tos, by id
        self._taken: dict[str, bool] = {}  # customer name -> taken
        self._staged: list[Known] = []
        self._staged_ship_tos: list[KnownShipTo] = []
        self._cart_ids: dict[str, Known] = {}
        if not prefs.use_proxy_on_orders:
            self._read(orders, prefs)

    # --- reading the batch's rows -------------------------------------------------------------

    def _execute(self, statement: Any, params: dict[str, Any] | None = None) -> Any:
        return self.base.session.connection().execute(statement, params or {})

    def _read(self, orders: list[CartOrder], prefs: Preferences) -> None:
        keys: dict[str, set[str]] = {}
        looked_up = []
        for order in orders:
            rule, key, _how = customer_key(order, prefs)
            looked_up.append((order, rule, key))
            if key is not None:
                keys.setdefault(rule, set()).add(key)
        for rule, wanted in keys.items():
            for chunk in chunks(sorted(wanted), IN_CHUNK):
                self._read_keys(rule, chunk)
        self._read_ship_tos(sorted({c.id for c in self._found.values() if c is not None}))
        names = set()
        for order, rule, key in looked_up:  # the names the batch's new customers would take first
            if key is None or self._found.get((rule, key)) is None:
                names.update(customer_names(new_customer_name(order), order_email(order))[:2])
        self.taken_customer_names(sorted(names))

    def _read_keys(self, rule: str, keys: list[str]) -> None:
        for key in keys:
            self._found[(rule, key)] = None
        if rule in _BY_KEY:
            rows = [(row.key, row) for row in self._execute(_BY_KEY[rule], {"keys": keys})]
        elif rule == "cart_id":
            found = self._execute(_BY_CART_ID, {"keys": keys, "integration": self.base.integration_id})
            rows = [(row.key, row) for row in found]
        elif rule == "name_postal":  # "name|postal code": a customer by name with a ship-to at that postal code
            parts = {key: key.partition("|")[::2] for key in keys}
            by_parts = {part: key for key, part in parts.items()}
            found = self._execute(_BY_NAME_POSTAL, {
                "names": sorted({n for n, _ in parts.values()}), "postals": sorted({p for _, p in parts.values()}),
            })
            rows = [(by_parts.get((row.n, row.p)), row) for row in found]
        else:
            raise ValueError(f"unknown customer matching rule {rule!r}")
        for key, row in rows:
            if key is not None and self._found.get((rule, key), False) is None:
                self._found[(rule, key)] = self._remember(row.id, row.name, row.taxable)

    def _remember(self, customer_id: int, name: str, taxable: bool) -> Known:
        known = self._by_id.get(customer_id) or Known(customer_id, name, taxable)
        self._by_id[customer_id] = self._named[name] = known
        return known

    def _read_ship_tos(self, customer_ids: list[int]) -> None:
        for chunk in chunks(customer_ids, IN_CHUNK):
            for customer_id in chunk:
                self._ship_tos[customer_id] = []
            for row in self._execute(_SHIP_TOS, {"keys": chunk}):
                self._ship_tos[row.customer_id].append(KnownShipTo(*row))

    def _customer_named(self, name: str) -> Known | None:
        if name not in self._named:
            row = self._execute(sa.select(*_CUSTOMER).where(_C.name == name)).first()
            self._named[name] = self._remember(row.id, row.name, row.taxable) if row else None
        return self._named[name]

    def _ship_tos_of(self, customer_id: int) -> list[KnownShipTo]:
        if customer_id not in self._ship_tos:
            self._read_ship_tos([customer_id] if customer_id > 0 else [])
            self._ship_tos.setdefault(customer_id, [])
        return self._ship_tos[customer_id]

    # --- the Lookups protocol -----------------------------------------------------------------

    def item(self, sku: str) -> ItemInfo | None:
        return self.base.item(sku)

    def customer(self, name: str) -> CustomerInfo | None:
        known = self._customer_named(name)
        return CustomerInfo(known.name, known.taxable) if known else None

    def find_customer(self, rule: str, key: str) -> CustomerInfo | None:
        if (rule, key) not in self._found:  # not read with the batch
            info = self.base.find_customer(rule, key)
            self._found[(rule, key)] = self._customer_named(info.name) if info else None
        matches = [c for c in (self._found[(rule, key)], self._staged_match(rule, key)) if c is not None]
        best = min(matches, key=_rank, default=None)
        return CustomerInfo(best.name, best.taxable) if best else None

    def _staged_match(self, rule: str, key: str) -> Known | None:
        """The first customer matching ``key`` among those staged (or, by name and postal code,
        among the customers of the ship-tos staged), as the database would match them."""
        lower = self._lower
        if rule == "email":
            return next((c for c in self._staged if c.email is not None and lower(c.email) == key), None)
        if rule == "company":
            return next((c for c in self._staged if c.company is not None and lower(c.company.strip(" ")) == key), None)
        if rule == "cart_id":
            return self._cart_ids.get(key)
        name, _, postal = key.partition("|")
        owners = (self._by_id[s.customer_id] for s in self._staged_ship_tos if s.postal_code is not None and lower(s.postal_code) == postal)
        return min((c for c in owners if lower(c.name) == name), key=_rank, default=None)

    def find_ship_to(self, customer: str, key: str) -> int | None:
        known = self._customer_named(customer)
        if known is None:
            return None
        for s in self._ship_tos_of(known.id):
            if s.key == key:
                return s.id
        return None

    def item_sales_tax_rate(self, name: str) -> Decimal | None:
        return self.base.item_sales_tax_rate(name)

    def ship_method(self, name: str) -> ShipMethodInfo | None:
        return self.base.ship_method(name)

    def term_type(self, name: str) -> str | None:
        return self.base.term_type(name)

    # --- the writer's side --------------------------------------------------------------------

    def customer_id(self, name: str) -> int | None:
        """The id of the customer named ``name`` (provisional when staged), None when there is none."""
        known = self._customer_named(name)
        return known.id if known else None

    def taken_customer_names(self, names: list[str]) -> set[str]:
        """Those of ``names`` a customer has, in the database or staged."""
        unknown = [name for name in names if name not in self._taken]
        for chunk in chunks(unknown, IN_CHUNK):
            taken = set(self._execute(_TAKEN, {"keys": chunk}).scalars())
            self._taken.update((name, name in taken) for name in chunk)
        return {name for name in names if self._taken[name]}

    def ship_to_names(self, customer_id: int) -> set[str]:
        """The names of the customer's ship-tos, in the database and staged."""
        return {s.name for s in self._ship_tos_of(customer_id)}

    def add_customer(self, row: dict[str, Any], cart_id: str | None) -> int:
        """Stage a new customer (``row``: its columns); its provisional id."""
        known = Known(-(len(self._staged) + 1), row["name"], row["taxable"], row["email"], row["company"])
        self._staged.append(known)
        self._by_id[known.id] = self._named[known.name] = known
        self._taken[known.name] = True
        self._ship_tos[known.id] = []
        if cart_id:
            self._cart_ids.setdefault(cart_id, known)
        return known.id

    def add_ship_to(self, row: dict[str, Any]) -> int:
        """Stage a new ship-to (``row``: its columns, its customer's id maybe provisional); its provisional id."""
        ship_to = KnownShipTo(
            -(len(self._staged_ship_tos) + 1), row["customer_id"], row["name"], row["line1"], row["city"],
            row["postal_code"], row["country"],
        )
        self._staged_ship_tos.append(ship_to)
        self._ship_tos_of(ship_to.customer_id).append(ship_to)
        return ship_to.id
