"""``ecom worker``: queue the scheduled jobs that are due, and run queued jobs.

Any number of workers, on any number of machines sharing one PostgreSQL database, can run at
once. Two database rules keep them from doing anything twice: a scheduled run is queued by the
one worker that moves the integration's ``schedule`` mark to it (a compare-and-set), and a
queued job is run by the one worker whose ``UPDATE ... WHERE status = 'queued'`` claims it.
An integration's schedule starts with its last successful Test Connection (SPEC §2). A worker
that loses its database says so and looks again at its next poll.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ecom import db, integrations
from ecom import models as m
from ecom.errors import DatabaseUnavailableError, EcomError
from ecom.jobs import lifecycle, schedule, state
from ecom.jobs.runner import run_job
from ecom.models import JobStatus, utcnow


def enqueue_due(engine: Engine, now: dt.datetime | None = None) -> list[int]:
    """Queue a job for every active integration whose schedule is due; returns the new job ids."""
    now = now or utcnow()
    queued = []
    with Session(engine, expire_on_commit=False) as session:
        for integration in session.exec(select(m.Integration).where(m.Integration.active)):
            tested = integrations.last_test(integration)
            if tested is None:
                continue  # the schedule starts with a successful Test Connection
            try:
                settings = integrations.load_settings(session, integration)
            except EcomError:
                continue
            last = state.get(session, integration.id, "schedule")
            due = schedule.due_run(settings.schedule, last, tested.at, now)
            if due is None or not state.advance(session, integration.id, "schedule", due):
                continue
            try:
                job = lifecycle.create_job(
                    session, integration, trigger=m.JobTrigger.SCHEDULE, options={"scheduled_for": due.isoformat()}
                )
            except lifecycle.JobLockedError:
                continue  # still busy with an earlier job: this run is skipped, the next one will come
            queued.append(job.id)
    return queued


def queued_job_ids(engine: Engine) -> list[int]:
    with Session(engine) as session:
        query = select(m.Job.id).where(m.Job.status == JobStatus.QUEUED).order_by(m.Job.created_at, m.Job.id)
        return list(session.exec(query))


def work_once(engine: Engine, *, now: dt.datetime | None = None, on_job: Callable[[m.Job], None] | None = None) -> list[m.Job]:
    """One pass: queue what is due, then run every queued job this worker manages to claim."""
    enqueue_due(engine, now)
    ran = []
    for job_id in queued_job_ids(engine):
        job = run_job(engine, job_id)
        if job is not None and job.status.finished and job.worker == lifecycle.worker_name():
            ran.append(job)
            if on_job:
                on_job(job)
    return ran


def work_forever(
    engine: Engine, *, poll: float, stop: threading.Event, on_job: Callable[[m.Job], None] | None = None,
    on_error: Callable[[EcomError], None] | None = None,
) -> None:
    """Work until ``stop`` is set. A database that stops answering is told to ``on_error`` and
    looked for again at the next poll: the worker outlives a database restart."""
    while not stop.is_set():
        try:
            work_once(engine, on_job=on_job)
        except Exception as exc:
            lost = exc if isinstance(exc, DatabaseUnavailableError) else db.unavailable(exc)
            if lost is None or on_error is None:
                raise
            on_error(lost)
        stop.wait(poll)
