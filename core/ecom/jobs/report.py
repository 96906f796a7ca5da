"""A job's report: what the CLI's ``ecom jobs show`` prints and the end-of-job email says.

One function builds it, so the email and the command never disagree.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from ecom import models as m

FIRST = 20  # errors and warnings listed in full; the rest are counted


def base_url() -> str:
    return os.environ.get("ECOM_BASE_URL", "http://localhost:8000").rstrip("/")


def events(session: Session, job_id: int, level: m.EventLevel, limit: int | None = None) -> list[m.JobEvent]:
    query = select(m.JobEvent).where(m.JobEvent.job_id == job_id, m.JobEvent.level == level).order_by(m.JobEvent.id)
    return list(session.exec(query.limit(limit) if limit else query))


def count_events(session: Session, job_id: int, level: m.EventLevel) -> int:
    return session.exec(select(func.count()).where(m.JobEvent.job_id == job_id, m.JobEvent.level == level)).one()


def event_row(event: m.JobEvent) -> dict[str, Any]:
    return {"phase": event.phase, "record": event.record_ref, "rule": event.rule, "message": event.message}


def job_report(session: Session, job: m.Job, *, first: int | None = FIRST) -> dict[str, Any]:
    integration = session.get(m.Integration, job.integration_id)
    seconds = (job.finished_at - job.started_at).total_seconds() if job.finished_at and job.started_at else None
    return {
        "id": job.id,
        "integration": integration.name if integration else None,
        "trigger": job.trigger.value,
        "status": job.status.value,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "seconds": round(seconds, 3) if seconds is not None else None,
        "counts": dict(job.counts),
        "error_count": count_events(session, job.id, m.EventLevel.ERROR),
        "warning_count": count_events(session, job.id, m.EventLevel.WARNING),
        "errors": [event_row(e) for e in events(session, job.id, m.EventLevel.ERROR, first)],
        "warnings": [event_row(e) for e in events(session, job.id, m.EventLevel.WARNING, first)],
        "errors_url": f"{base_url()}/jobs/{job.id}/errors",
        "command": f"ecom jobs show {job.id}",
    }
