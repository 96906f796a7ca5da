"""A job's life: created (queued), claimed (running), kept alive, finished; never two at once.

One unfinished job per integration is a rule of the database (a partial unique index on
``jobs``), not of this code: a second request fails to insert and is refused with
:class:`JobLockedError`, naming the job in the way, across processes and machines.

The lease (``ECOM_JOB_LEASE_SECONDS``, default 300). A job's ``worker`` (``host:pid``) is the
process answerable for it: its creator while it is queued, the process running it once claimed.
While a job runs, a :class:`KeepAlive` thread beats its heartbeat every quarter lease, on a
connection of its own, whatever the job is waiting for (one cart call may take longer than the
lease: a Shopify bulk operation is polled for up to an hour); every commit of the job beats too.
A job is *stale*, and may be taken over, when its worker was on this machine and that process is
gone, or when it is running and has not beaten for a lease, or when it is queued and nobody
claimed it within a lease. A new request then marks the stale job failed ("abandoned: ..."),
saying why, and goes ahead; the import is idempotent, so the next job finishes what it left.
``ecom jobs list`` applies the same rule and shows such a job as abandoned.

Every change of a running job's row is a compare-and-set on its owner (this worker, status
running): a job that was taken over or cancelled learns it at its next beat or commit
(:class:`JobLostError`) and stops, and it can never write its end over the one recorded for it.
A job started by hand (``ecom sync``) is created already claimed, in one transaction, so a
killed command never leaves a queued job behind.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import socket
import threading
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from ecom import db
from ecom import models as m
from ecom.errors import ConfigError, EcomError
from ecom.models import JobStatus, utcnow

UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


class JobLockedError(EcomError):
    """Another job of the same integration is queued or running."""

    exit_code = 6


LEASE_ENV = "ECOM_JOB_LEASE_SECONDS"


def lease_seconds() -> float:
    """How long a job's worker may stay silent before another may take over its job (default 300)."""
    raw = os.environ.get(LEASE_ENV, "").strip() or "300"
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (1 <= value < math.inf):
        raise ConfigError(f"{LEASE_ENV} must be a number of seconds, at least 1 (it is {raw!r}).")
    return value


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
    if job.status is JobStatus.QUEUED:
        if _process_gone(job.worker):
            return f"the process that queued it ({job.worker}) is no longer running"
        if ((now or utcnow()) - job.created_at).total_seconds() > lease_seconds():
            return f"no worker claimed it since {job.created_at:%Y-%m-%d %H:%M:%S} UTC"
        return None
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


def create_job(
    session: Session, integration: m.Integration, *, trigger: m.JobTrigger, options: dict[str, Any], claim: bool = False
) -> m.Job:
    """Queue a job for ``integration`` and commit, or raise :class:`JobLockedError`.

    A stale job in the way is taken over in the same transaction. With ``claim``, the job is
    created running for this process (a job run by hand: nothing is ever left queued).
    """
    lease_seconds()  # a lease that cannot be read is said now, before any job exists
    current = unfinished_job(session, integration.id)
    if current is not None:
        reason = stale_reason(current)
        if reason is not None:
            _take_over(session, current, f"abandoned: {reason}")
    now = utcnow()
    job = m.Job(integration_id=integration.id, trigger=trigger, options=options, worker=worker_name())
    if claim:
        job.status, job.started_at, job.heartbeat_at = JobStatus.RUNNING, now, now
    session.add(job)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        current = unfinished_job(session, integration.id)
        detail = (
            f"job {current.id} ({current.status.value} since {current.created_at:%Y-%m-%d %H:%M} UTC; "
            f"see `ecom jobs show {current.id}`, or `ecom jobs cancel {current.id}` if it must not run)"
            if current
            else "another job starting"
        )
        raise JobLockedError(
            f"Integration {integration.name!r} already has {detail}: a sync job must finish before another one is created."
        ) from None
    return job


def _take_over(session: Session, job: m.Job, message: str) -> bool:
    """Mark a stale job failed, unless it moved since it was read (it is alive after all)."""
    result = session.execute(
        update(m.Job)
        .where(
            m.Job.id == job.id, m.Job.status == job.status,
            m.Job.heartbeat_at.is_(None) if job.heartbeat_at is None else m.Job.heartbeat_at == job.heartbeat_at,  # type: ignore[union-attr]
        )
        .values(status=JobStatus.FAILED, finished_at=utcnow())
    )
    if result.rowcount != 1:
        return False
    session.add(m.JobEvent(job_id=job.id, level=m.EventLevel.ERROR, phase="job", message=message))
    return True


# The phases whose failed records a retry runs again.
RETRYABLE = {"import_orders", "push_status", "push_inventory", "export_products", "import_products"}


def create_retry(session: Session, failed: m.Job, *, claim: bool = False) -> m.Job:
    """Queue a job that runs the records ``failed`` could not do again (``ecom jobs retry``, the web's Retry).

    Orders that failed to import come from the copies the job kept; pushes that failed are sent again.
    With ``claim``, the job is created running for this process (:func:`create_job`).
    """
    from ecom.errors import ConfigError
    from ecom.jobs.report import events

    phases = sorted({e.phase for e in events(session, failed.id, m.EventLevel.ERROR) if e.phase in RETRYABLE})
    if not phases:
        raise ConfigError(f"Job {failed.id} has no failed records to run again.")
    integration = session.get(m.Integration, failed.integration_id)
    return create_job(session, integration, trigger=m.JobTrigger.MANUAL, options={"phases": phases, "retry_of": failed.id}, claim=claim)


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


class JobLostError(EcomError):
    """This process no longer owns its job: it was taken over (silent past its lease) or cancelled."""

    exit_code = 4


def owns(job: m.Job) -> bool:
    """Whether this process runs ``job`` (as :func:`claim` or ``create_job(claim=True)`` left it)."""
    return job.status is JobStatus.RUNNING and job.worker == worker_name()


def _owned(job_id: int | None) -> Any:
    return (m.Job.id == job_id) & (m.Job.status == JobStatus.RUNNING) & (m.Job.worker == worker_name())


def heartbeat(session: Session, job: m.Job) -> None:
    """Beat ``job``'s heartbeat in the caller's transaction, if this process still owns the job.

    :raises JobLostError: the job was taken over or cancelled meanwhile; it must stop.
    """
    now = utcnow()
    if session.execute(update(m.Job).where(_owned(job.id)).values(heartbeat_at=now)).rowcount != 1:
        raise JobLostError(lost_message(session, job))
    set_committed_value(job, "heartbeat_at", now)


def lost_message(session: Session, job: m.Job) -> str:
    status = session.execute(select(m.Job.status).where(m.Job.id == job.id)).scalar()
    return (
        f"job {job.id} is no longer this process's to run (it is {getattr(status, 'value', status)} now: taken over "
        f"after a silence longer than {LEASE_ENV}, or cancelled), so it stopped"
    )


def finish_job(session: Session, job: m.Job, status: JobStatus) -> bool:
    """End ``job`` with ``status`` if this process still owns it; False (nothing written) if not.

    A compare-and-set on the owner: a job that lost its lease cannot write its end over another's.
    """
    session.flush()
    result = session.execute(update(m.Job).where(_owned(job.id)).values(status=status, finished_at=utcnow()))
    session.commit()
    session.refresh(job)
    return result.rowcount == 1


def fail_job(session: Session, job: m.Job, message: str) -> bool:
    session.add(m.JobEvent(job_id=job.id, level=m.EventLevel.ERROR, phase="job", message=message))
    return finish_job(session, job, JobStatus.FAILED)


def cancel_job(session: Session, job: m.Job) -> str:
    """Stop a queued or running job by hand (``ecom jobs cancel``): it ends failed, saying so.

    A running job learns it at its next beat and stops there. Returns the status it had.
    """
    if job.status.finished:
        raise ConfigError(f"Job {job.id} has already finished ({job.status.value.replace('_', ' ')}): there is nothing to cancel.")
    was = job.status.value
    result = session.execute(
        update(m.Job).where(m.Job.id == job.id, m.Job.status == job.status).values(status=JobStatus.FAILED, finished_at=utcnow())
    )
    if result.rowcount != 1:
        session.rollback()
        session.refresh(job)
        return cancel_job(session, job)  # it moved meanwhile (claimed, or finished): decide again
    session.add(m.JobEvent(job_id=job.id, level=m.EventLevel.ERROR, phase="job", message=f"cancelled by the admin while {was}"))
    session.commit()
    session.refresh(job)
    return was


class KeepAlive:
    """Beat a running job's heartbeat every quarter lease from a thread, on a connection of its own.

    The job's own thread may be inside one cart call (or a retry's sleep) for longer than the
    lease; this keeps the job from being taken for dead meanwhile. A beat that finds the job no
    longer this process's stops beating; the job's thread learns it at its next commit
    (:func:`heartbeat`) and stops. A beat that fails (the database is busy or gone) is tried
    again at the next one; if the database stays away, the lease runs out as it should.
    """

    def __init__(self, engine: Engine, job: m.Job) -> None:
        self.engine, self.job_id = db.make_engine(engine.url.render_as_string(hide_password=False), pooled=False), job.id
        if self.engine.dialect.name == "sqlite":  # never wait long for SQLite's lock: the next beat will do

            @sa_event.listens_for(self.engine, "connect")
            def _short_wait(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.execute("PRAGMA busy_timeout = 5000")

        self.interval = lease_seconds() / 4
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"ecom-job-{job.id}-heartbeat", daemon=True)

    def start(self) -> KeepAlive:
        self._thread.start()
        return self

    def __enter__(self) -> KeepAlive:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)
        self.engine.dispose()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.engine.begin() as connection:
                    if connection.dialect.name == "postgresql":  # never queue long behind the job's own row lock
                        connection.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
                    beat = connection.execute(update(m.Job).where(_owned(self.job_id)).values(heartbeat_at=utcnow()))
            except Exception:  # noqa: BLE001, S112 - a missed beat is tried again next time; the lease allows three
                continue
            if beat.rowcount != 1:
                return  # no longer ours: the job's thread learns it at its next commit
