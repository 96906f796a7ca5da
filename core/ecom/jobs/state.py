"""What an integration's jobs remember between runs: watermarks and the last scheduled run."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ecom import models as m


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
