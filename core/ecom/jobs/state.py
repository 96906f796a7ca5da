"""What an integration's jobs remember between runs: watermarks, the last scheduled run, and the
orders that failed to import, kept aside (:class:`~ecom.models.FailedOrder`) to be tried again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from ecom import models as m
from ecom.records import CartOrder


def get(session: Session, integration_id: int, key: str) -> dt.datetime | None:
    row = session.exec(select(m.SyncState).where(m.SyncState.integration_id == integration_id, m.SyncState.key == key)).first()
    return row.value if row else None


def put(session: Session, integration_id: int, key: str, value: dt.datetime | None) -> None:
    """Remember ``value`` under ``key`` (committed with the caller's transaction)."""
    row = session.exec(select(m.SyncState).where(m.SyncState.integration_id == integration_id, m.SyncState.key == key)).first()
    if row is None:
        row = m.SyncState(integration_id=integration_id, key=key)
    row.value = value
    session.add(row)


def advance(session: Session, integration_id: int, key: str, value: dt.datetime) -> bool:
    """Move ``key`` forward to ``value``; True only for the one caller that moved it. Commits.

    A compare-and-set in the database, so of several workers that find the same scheduled run
    due, exactly one queues it.
    """
    where = (m.SyncState.integration_id == integration_id, m.SyncState.key == key)
    if session.exec(select(m.SyncState.id).where(*where)).first() is None:
        session.add(m.SyncState(integration_id=integration_id, key=key, value=value))
        try:
            session.commit()
            return True
        except IntegrityError:  # another worker made the row first: compete on the update below
            session.rollback()
    result = session.execute(
        update(m.SyncState)
        .where(*where, or_(col(m.SyncState.value).is_(None), col(m.SyncState.value) < value))
        .values(value=value, updated_at=m.utcnow())
    )
    session.commit()
    return result.rowcount == 1


def failed_orders(session: Session, integration_id: int) -> dict[str, m.FailedOrder]:
    """The orders kept aside for this integration (dismissed ones too), by cart id. Their copies
    (``payload``) are read only when asked for: a shop with many kept aside does not load them all
    at the start of every job."""
    query = select(m.FailedOrder).where(m.FailedOrder.integration_id == integration_id)
    rows = session.exec(query.options(defer(m.FailedOrder.payload)))  # type: ignore[arg-type]
    return {row.external_id: row for row in rows}


def kept_copies(session: Session, rows: list[m.FailedOrder]) -> list[dict[str, Any]]:
    """The copies kept with ``rows`` (which :func:`failed_orders` lists without them), in their
    order, read in one query rather than one a row."""
    ids = [row.id for row in rows]
    query = select(m.FailedOrder.id, m.FailedOrder.payload).where(col(m.FailedOrder.id).in_(ids))
    found: dict[int, dict[str, Any]] = dict(session.exec(query).all())  # type: ignore[arg-type]
    return [found[i] for i in ids]  # type: ignore[index]


def keep_aside(
    session: Session, integration_id: int, order: CartOrder, error: str, job_id: int | None, row: m.FailedOrder | None
) -> m.FailedOrder:
    """Keep ``order`` aside (or ``row``, its earlier failure, again) with ``error`` and the copy read."""
    now = m.utcnow()
    if row is None:
        row = m.FailedOrder(integration_id=integration_id, external_id=order.external_id, number=order.number,
                            cart_updated_at=order.updated_at, error=error, first_failed_at=now, attempts=0)
    row.number, row.cart_updated_at, row.error, row.job_id = order.number, order.updated_at, error, job_id
    row.payload = order.model_dump(mode="json")
    row.attempts += 1
    row.last_failed_at, row.dismissed_at = now, None
    session.add(row)
    return row


def forget_failed(session: Session, rows: list[m.FailedOrder]) -> None:
    """These kept-aside orders are stored (or skipped by a rule) now: no longer tried."""
    for row in rows:
        session.delete(row)
