"""What a running job records: counts per phase, and events (errors, warnings) per record.

Counts are ``fetched, created, updated, skipped, failed`` per phase. Each event names the record
as the merchant knows it (order number, SKU), the rule or the cart's own words, and may keep the
record itself so ``ecom jobs retry`` can run it again. Events and counts go to the database with
the job's next commit, so what a job reports is what it stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from ecom import models as m

COUNTS = ("fetched", "created", "updated", "skipped", "failed")

Progress = Callable[[str, dict[str, int]], None]


class JobLog:
    def __init__(self, session: Session, job: m.Job, progress: Progress | None = None) -> None:
        self.session, self.job, self._progress = session, job, progress
        self.errors = self.warnings = 0

    def counts(self, phase: str) -> dict[str, int]:
        return dict(self.job.counts.get(phase) or dict.fromkeys(COUNTS, 0))

    def count(self, phase: str, key: str, n: int = 1) -> None:
        tallies = self.counts(phase)
        tallies[key] = tallies.get(key, 0) + n
        self.job.counts[phase] = tallies  # reassign: the JSON column notices top-level changes
        self.session.add(self.job)
        if self._progress:
            self._progress(phase, tallies)

    def set_counts(self, phase: str, counts: dict[str, int]) -> None:
        """Set a phase's counts at once (phases that count for themselves)."""
        self.job.counts[phase] = {key: counts.get(key, 0) for key in COUNTS}
        self.session.add(self.job)
        if self._progress:
            self._progress(phase, self.job.counts[phase])

    def _event(self, level: m.EventLevel, phase: str, ref: str | None, message: str, rule: str | None, payload: Any) -> None:
        self.session.add(
            m.JobEvent(job_id=self.job.id, level=level, phase=phase, record_ref=ref, rule=rule, message=message, payload=payload)
        )

    def error(self, phase: str, ref: str | None, message: str, *, rule: str | None = None, payload: Any = None) -> None:
        self.errors += 1
        self._event(m.EventLevel.ERROR, phase, ref, message, rule, payload)

    def warning(self, phase: str, ref: str | None, message: str, *, rule: str | None = None) -> None:
        self.warnings += 1
        self._event(m.EventLevel.WARNING, phase, ref, message, rule, None)
