"""A job's life: created (queued), claimed (running), kept alive, finished; never two at once.

One unfinished job per integration is a rule of the database (a partial unique index on
``jobs``), not of this code: a second request fails to insert and is refused with
:class:`JobLockedError`, naming the job in the way, across processes and machines.

A job whose worker died must not block its integration forever. A running job is *stale* when
its worker was on this machine and that process is gone, or when its heartbeat is older than the
lease (``ECOM_JOB_LEASE_SECONDS``, default 300): a new request then marks it failed, saying why,
and goes ahead. Work it did is kept; the import is idempotent, so the next job finishes the rest.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ecom import models as m
from ecom.errors import EcomError
from ecom.models import JobStatus, utcnow

UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


class JobLockedError(EcomError):
    """Another job of the same integration is queued or running."""

    exit_code = 6


def lease_seconds() -> float:
    return float(os.environ.get("ECOM_JOB_LEASE_SECONDS", "300"))


def worker_name() -> str:
    """Who runs a job: ``host:pid``, so a dead process on this host is recognised at once."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_gone(worker: str | None) -> bool:
    if not worker:
        return False
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def stale_reason(job: m.Job, now: dt.datetime | None = None) -> str | None:
    """Why an unfinished job can be taken over, or None when it may still be alive."""
    if job.status is not JobStatus.RUNNING:
        return None
    if _process_gone(job.worker):
        return f"its worker {job.worker} is no longer running"
    beat = job.heartbeat_at or job.started_at or job.created_at
    now = now or utcnow()
    if (now - beat).total_seconds() > lease_seconds():
        return f"its worker {job.worker} has not been heard from since {beat:%Y-%m-%d %H:%M:%S} UTC"
    return None


def unfinished_job(session: Session, integration_id: int) -> m.Job | None:
    return session.exec(
        select(m.Job).where(m.Job.integration_id == integration_id, m.Job.status.in_(UNFINISHED))  # type: ignore[attr-defined]
    ).first()


def create_job(session: Session, integration: m.Integration, *, trigger: m.JobTrigger, options: dict[str, Any]) -> m.Job:
    """Queue a job for ``integration`` and commit, or raise :class:`JobLockedError`."""
    current = unfinished_job(session, integration.id)
    if current is not None:
        reason = stale_reason(current)
        if reason is not None:
            fail_job(session, current, f"abandoned: {reason}")
    job = m.Job(integration_id=integration.id, trigger=trigger, options=options)
    session.add(job)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        current = unfinished_job(session, integration.id)
        detail = (
            f"job {current.id} ({current.status.value} since {current.created_at:%Y-%m-%d %H:%M} UTC; "
            f"see `ecom jobs show {current.id}`)"
            if current
            else "another job starting"
        )
        raise JobLockedError(
            f"Integration {integration.name!r} already has {detail}: a sync job must finish before another one is created."
        ) from None
    return job


# The phases whose failed records a retry runs again.
RETRYABLE = {"import_orders", "push_status", "push_inventory", "export_products", "import_products"}


def create_retry(session: Session, failed: m.Job) -> m.Job:
    """Queue a job that runs the records ``failed`` could not do again (``ecom jobs retry``, the web's Retry).

    Orders that failed to import come from the copies the job kept; pushes that failed are sent again.
    """
    from ecom.errors import ConfigError
    from ecom.jobs.report import events

    phases = sorted({e.phase for e in events(session, failed.id, m.EventLevel.ERROR) if e.phase in RETRYABLE})
    if not phases:
        raise ConfigError(f"Job {failed.id} has no failed records to run again.")
    integration = session.get(m.Integration, failed.integration_id)
    return create_job(session, integration, trigger=m.JobTrigger.MANUAL, options={"phases": phases, "retry_of": failed.id})


def claim(session: Session, job: m.Job) -> bool:
    """Move a queued job to running for this process; False when another worker got it first."""
    now = utcnow()
    result = session.execute(
        update(m.Job)
        .where(m.Job.id == job.id, m.Job.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, worker=worker_name(), started_at=now, heartbeat_at=now)
    )
    session.commit()
    session.refresh(job)
    return result.rowcount == 1


def heartbeat(session: Session, job: m.Job) -> None:
    """Tell the world this job's worker is alive (called once per batch, committed with it)."""
    job.heartbeat_at = utcnow()
    session.add(job)


def finish_job(session: Session, job: m.Job, status: JobStatus) -> None:
    job.status = status
    job.finished_at = utcnow()
    session.add(job)
    session.commit()


def fail_job(session: Session, job: m.Job, message: str) -> None:
    session.add(m.JobEvent(job_id=job.id, level=m.EventLevel.ERROR, phase="job", message=message))
    finish_job(session, job, JobStatus.FAILED)
