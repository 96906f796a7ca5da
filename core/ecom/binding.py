"""Bindings: the cart's ids for things ↔ local rows, one per (integration, kind, external id).

They make imports idempotent (an order bound once is never imported again) and give drivers a
memory (:class:`DbRefCache`): a cart id a driver resolved once (SKU → variant → inventory item)
is kept for the next run instead of asked for again.
"""

from __future__ import annotations

from sqlmodel import Session, select

from ecom import models as m


def find(session: Session, integration_id: int, kind: str, external_id: str) -> m.ExternalRef | None:
    return session.exec(
        select(m.ExternalRef).where(
            m.ExternalRef.integration_id == integration_id,
            m.ExternalRef.kind == kind,
            m.ExternalRef.external_id == external_id,
        )
    ).first()


class DbRefCache:
    """A driver's :class:`~ecom.records.RefCache`, kept in the integration's bindings.

    Entries are bindings of kind ``ref:<kind>``; they are written with the job's next commit.
    """

    PREFIX = "ref:"

    def __init__(self, session: Session, integration_id: int) -> None:
        self.session, self.integration_id = session, integration_id
        self._seen: dict[tuple[str, str], m.ExternalRef | None] = {}

    def _row(self, kind: str, key: str) -> m.ExternalRef | None:
        if (kind, key) not in self._seen:
            self._seen[(kind, key)] = find(self.session, self.integration_id, self.PREFIX + kind, key)
        return self._seen[(kind, key)]

    def get(self, kind: str, key: str) -> str | None:
        row = self._row(kind, key)
        return row.data.get("value") if row is not None else None

    def set(self, kind: str, key: str, value: str) -> None:
        row = self._row(kind, key)
        if row is None:
            row = m.ExternalRef(integration_id=self.integration_id, kind=self.PREFIX + kind, external_id=key)
            self._seen[(kind, key)] = row
        row.data = {"value": value}
        self.session.add(row)

    def forget(self, kind: str, key: str) -> None:
        row = self._row(kind, key)
        if row is not None and row.id is not None:
            self.session.delete(row)
        self._seen[(kind, key)] = None
