"""Running a sync job: its phases in order, each switched by the integration's options.

import products → import orders and customers → push order status → push inventory → export
products. A record that fails is an event on the job and the phase goes on. A phase the cart
keeps failing (:class:`~ecom.errors.RetryableError` after the HTTP helper's retries) is an error
and the next phases still run; refused credentials, any other :class:`~ecom.errors.FatalError`
or a setting found unusable only now (:class:`~ecom.errors.ConfigError`, e.g. an API URL the HTTP
helper refuses) stop the job, in words. The job ends *succeeded*, *succeeded with errors* or
*failed*, and its report is emailed (:mod:`ecom.notify`). A job taken over meanwhile
(:class:`~ecom.jobs.lifecycle.JobLostError`) stops without writing its end; a database that stops
answering ends the job failed, in words (:class:`~ecom.errors.DatabaseUnavailableError`), never as
an internal error.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ecom import db, integrations, notify
from ecom import models as m
from ecom.binding import DbRefCache
from ecom.errors import ConfigError, EcomError, FatalError, RetryableError
from ecom.jobs import catalog_phases, lifecycle
from ecom.jobs.context import JobRun, UnlockedDriver
from ecom.jobs.log import JobLog, Progress
from ecom.jobs.orders import import_orders
from ecom.jobs.status import push_status
from ecom.models import JobStatus
from ecom.plugins import get_driver
from ecom.settings import IntegrationSettings

Phase = Callable[[JobRun], None]
PHASES: dict[str, Phase] = {
    "import_products": catalog_phases.import_products,
    "import_orders": import_orders,
    "push_status": push_status,
    "push_inventory": catalog_phases.push_inventory,
    "export_products": catalog_phases.export_products,
}
ORDER = ("import_products", "import_orders", "push_status", "push_inventory", "export_products")


def enabled_phases(settings: IntegrationSettings) -> list[str]:
    """The phases the integration's options switch on, in order."""
    general, prefs = settings.general, settings.preferences
    switches = {
        "import_products": general.import_products,
        "import_orders": True,
        "push_status": general.update_order_status or bool(prefs.cart_status_after_import),
        "push_inventory": general.update_inventory,
        "export_products": general.export_products,
    }
    return [phase for phase in ORDER if switches[phase] and phase in PHASES]


def run_job(
    engine: Engine, job_id: int, *, progress: Progress | None = None, transport: Any = None, claimed: bool = False
) -> m.Job:
    """Run a job to its end in this process; returns the finished job.

    The job is claimed first, unless ``claimed`` (created running by ``create_job(claim=True)``);
    returns the job unchanged if another worker claimed it first. Its heartbeat beats from a
    thread while it runs (:class:`~ecom.jobs.lifecycle.KeepAlive`).

    :raises DatabaseUnavailableError: the database stopped answering; the job is marked failed
        if it can still be reached, else the next run takes it over.
    """
    beating: list[lifecycle.KeepAlive] = []
    try:
        return _run_job(engine, job_id, progress, transport, claimed, beating)
    except BaseException as exc:
        lost = db.unavailable(exc)
        if lost is None:
            raise
        _fail_elsewhere(engine, job_id, str(lost))
        raise lost from exc
    finally:
        for keep_alive in beating:  # after the session closed: nothing of the job's is left open
            keep_alive.stop()


def _run_job(
    engine: Engine, job_id: int, progress: Progress | None, transport: Any, claimed: bool, beating: list[lifecycle.KeepAlive]
) -> m.Job:
    with Session(engine, expire_on_commit=False) as session:
        job = session.get(m.Job, job_id)
        if job is None or not (lifecycle.owns(job) if claimed else lifecycle.claim(session, job)):
            return job
        beating.append(lifecycle.KeepAlive(engine, job).start())
        integration = session.get(m.Integration, job.integration_id)
        log = JobLog(session, job, progress)
        try:
            settings = integrations.require_ready(session, integration)
            driver = get_driver(integration.cart_kind)
            connection = replace(integrations.connection(integration, transport), refs=DbRefCache(session, integration.id))
        except EcomError as exc:
            lifecycle.fail_job(session, job, str(exc))
            return job
        wanted = job.options.get("phases") or enabled_phases(settings)
        run = JobRun(
            session, job, integration, settings, UnlockedDriver(driver, session, job), connection, log,  # type: ignore[arg-type]
            full=bool(job.options.get("full")),
        )
        aborted = False
        for phase in [p for p in ORDER if p in wanted and p in PHASES]:
            try:
                PHASES[phase](run)
            except RetryableError as exc:
                session.rollback()
                log.error(phase, None, f"the cart kept failing, this phase stopped and will be tried again next run: {exc}")
                aborted = True
            except (FatalError, ConfigError) as exc:
                session.rollback()
                log.error(phase, None, f"the job stopped: {exc}")
                session.commit()
                return _finish(session, job, JobStatus.FAILED, settings)
            except lifecycle.JobLostError as exc:  # taken over or cancelled: its end is written already
                session.rollback()
                log.error(phase, None, str(exc))
                session.commit()
                session.refresh(job)
                return job
            except Exception as exc:  # noqa: BLE001 - a bug must still end the job, not leave it running
                session.rollback()
                if db.unavailable(exc):
                    raise
                log.error(phase, None, f"internal error: {type(exc).__name__}: {exc}", rule="bug")
                log.error(phase, None, traceback.format_exc(limit=5), rule="traceback")
                session.commit()
                return _finish(session, job, JobStatus.FAILED, settings)
            session.commit()
        status = JobStatus.FAILED if aborted else (JobStatus.SUCCEEDED_WITH_ERRORS if log.errors else JobStatus.SUCCEEDED)
        return _finish(session, job, status, settings)


def _finish(session: Session, job: m.Job, status: JobStatus, settings: IntegrationSettings) -> m.Job:
    if lifecycle.finish_job(session, job, status):
        notify.email_job_report(session, job, settings.notify.recipients)
    else:  # taken over or cancelled meanwhile: its end is already written, and not ours to change
        session.add(m.JobEvent(job_id=job.id, level=m.EventLevel.ERROR, phase="job", message=lifecycle.lost_message(session, job)))
        session.commit()
    return job


def _fail_elsewhere(engine: Engine, job_id: int, message: str) -> None:
    """Mark the job failed on a new connection, if the database answers again (a cut connection);
    if it does not, the job stays running and the next run takes it over (worker gone, or lease)."""
    try:
        with Session(engine, expire_on_commit=False) as session:
            job = session.get(m.Job, job_id)
            if job is not None:
                lifecycle.fail_job(session, job, message)
    except Exception:  # noqa: BLE001, S110 - the database is still away: the lease rule covers it
        pass
