"""Bindings: the cart's ids for things ↔ local rows, one per (integration, kind, external id).

They make imports idempotent (an order bound once is never imported again) and give drivers a
memory (:class:`DbRefCache`): a cart id a driver resolved once (SKU → variant → inventory item)
is kept for the next run instead of asked for again.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

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

    Entries are bindings of kind ``ref:<kind>``. They are all read when the cache is made, so a
    driver's lookups never touch the database while it talks to the cart; what it sets or forgets
    is written with the job's next commit.
    """

    PREFIX = "ref:"

    def __init__(self, session: Session, integration_id: int) -> None:
        self.session, self.integration_id = session, integration_id
        query = select(m.ExternalRef).where(
            m.ExternalRef.integration_id == integration_id, col(m.ExternalRef.kind).startswith(self.PREFIX)
        )
        self._rows: dict[tuple[str, str], m.ExternalRef] = {
            (row.kind.removeprefix(self.PREFIX), row.external_id): row for row in session.exec(query)
        }

    def get(self, kind: str, key: str) -> str | None:
        row = self._rows.get((kind, key))
        return row.data.get("value") if row is not None else None

    def set(self, kind: str, key: str, value: str) -> None:
        row = self._rows.get((kind, key))
        if row is None:
            row = self._rows[(kind, key)] = m.ExternalRef(
                integration_id=self.integration_id, kind=self.PREFIX + kind, external_id=key
            )
        row.data = {"value": value}
        self.session.add(row)

    def forget(self, kind: str, key: str) -> None:
        row = self._rows.pop((kind, key), None)
        if row is not None and row.id is not None:
            self.session.delete(row)
        elif row is not None:
            self.session.expunge(row)
