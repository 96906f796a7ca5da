"""What a running job records: counts per phase, and events (errors, warnings) per record.

Counts are ``fetched, created, updated, skipped, failed`` per phase. Each event names the record
as the merchant knows it (order number, SKU), the rule or the cart's own words, and may keep the
record itself so ``ecom jobs retry`` can run it again. Events are written in the job's database
transaction (outside any per-order savepoint, so an order that rolls back keeps its error); counts
are kept in memory and saved on the job with every commit. What a job reports is what it stored.
Inside :meth:`JobLog.held` (a batch of orders), events wait and are inserted together, in one
statement, when the block ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from ecom import models as m

COUNTS = ("fetched", "created", "updated", "skipped", "failed")

Progress = Callable[[str, dict[str, int]], None]


class JobLog:
    def __init__(self, session: Session, job: m.Job, progress: Progress | None = None) -> None:
        self.session, self.job, self._progress = session, job, progress
        self.errors = self.warnings = 0
        self._counts: dict[str, dict[str, int]] = _copy(job.counts or {})
        self._saved = _copy(self._counts)
        self._held: list[dict[str, Any]] | None = None
        event.listen(session, "before_commit", self._save_counts)
        event.listen(session, "after_rollback", self._forget_unsaved_counts)

    def _save_counts(self, session: Session) -> None:
        if self._counts != self._saved:
            self.job.counts = _copy(self._counts)
            session.add(self.job)
            self._saved = _copy(self._counts)

    def _forget_unsaved_counts(self, session: Session) -> None:
        """A rolled-back batch stored nothing, so it counts for nothing."""
        self._counts = _copy(self._saved)

    def snapshot(self) -> tuple[dict[str, dict[str, int]], int, int]:
        """What the log holds now, to go back to if the work since is taken back."""
        return _copy(self._counts), self.errors, self.warnings

    def restore(self, snapshot: tuple[dict[str, dict[str, int]], int, int]) -> None:
        counts, self.errors, self.warnings = snapshot
        self._counts = _copy(counts)

    def counts(self, phase: str) -> dict[str, int]:
        return dict(self._counts.get(phase) or dict.fromkeys(COUNTS, 0))

    def count(self, phase: str, key: str, n: int = 1) -> None:
        tallies = self._counts.setdefault(phase, dict.fromkeys(COUNTS, 0))
        tallies[key] = tallies.get(key, 0) + n
        if self._progress:
            self._progress(phase, dict(tallies))

    def set_counts(self, phase: str, counts: dict[str, int]) -> None:
        """Set a phase's counts at once (phases that count for themselves)."""
        self._counts[phase] = {key: counts.get(key, 0) for key in COUNTS}
        if self._progress:
            self._progress(phase, dict(self._counts[phase]))

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the events logged in the block and insert them together when it ends; if it
        raises, they are dropped (the caller takes back the block's work and its counts)."""
        self._held = []
        try:
            yield
            if self._held:
                self.session.connection().execute(m.JobEvent.__table__.insert(), self._held)  # type: ignore[attr-defined]
        finally:
            self._held = None

    def _event(self, level: m.EventLevel, phase: str, ref: str | None, message: str, rule: str | None, payload: Any) -> None:
        row = {"job_id": self.job.id, "level": level, "phase": phase, "record_ref": ref, "rule": rule,
               "message": message, "payload": payload, "created_at": m.utcnow()}
        if self._held is not None:
            self._held.append(row)
        else:
            self.session.connection().execute(m.JobEvent.__table__.insert(), row)  # type: ignore[attr-defined]

    def error(self, phase: str, ref: str | None, message: str, *, rule: str | None = None, payload: Any = None) -> None:
        self.errors += 1
        self._event(m.EventLevel.ERROR, phase, ref, message, rule, payload)

    def warning(self, phase: str, ref: str | None, message: str, *, rule: str | None = None) -> None:
        self.warnings += 1
        self._event(m.EventLevel.WARNING, phase, ref, message, rule, None)


def _copy(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {phase: dict(tallies) for phase, tallies in counts.items()}
