"""``ecom jobs``: what sync jobs did, their errors, running the failed records again, cancelling one."""

from __future__ import annotations

import sys

import click
from sqlmodel import Session, select

from ecom import db, integrations
from ecom import models as m
from ecom.cli import cli, echo_json
from ecom.errors import ConfigError
from ecom.jobs import lifecycle
from ecom.jobs.report import event_row, events, job_report

MAX_ID = 2**63 - 1  # the largest id SQLite and PostgreSQL (bigint) can hold


def _job(session: Session, job_id: int) -> m.Job:
    job = session.get(m.Job, job_id) if 1 <= job_id <= MAX_ID else None  # a bigger number fits no id column
    if job is None:
        raise ConfigError(f"There is no job {job_id}: `ecom jobs list` shows the jobs.")
    return job


@cli.group()
def jobs() -> None:
    """Sync jobs: list, show, errors, retry, cancel."""


@jobs.command("list")
@click.option("--integration", "name", help="Only this integration's jobs.")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def list_jobs(name: str | None, limit: int, as_json: bool) -> None:
    """The latest jobs, newest first.

    A queued or running job whose worker is gone, or silent past the lease
    (ECOM_JOB_LEASE_SECONDS), is shown as abandoned, with why ("abandoned" in --json).
    """
    lifecycle.lease_seconds()  # a lease that cannot be read is said even when no job needs it
    with Session(db.open_engine()) as session:
        query = select(m.Job).order_by(m.Job.id.desc()).limit(limit)  # type: ignore[union-attr]
        if name:
            query = query.where(m.Job.integration_id == integrations.get(session, name).id)
        rows = []
        for job in session.exec(query):
            row = job_report(session, job, first=0)
            del row["errors"], row["warnings"]
            row["abandoned"] = lifecycle.stale_reason(job)  # dead but not yet taken over: why it is taken for dead
            rows.append(row)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No jobs yet: `ecom sync NAME` runs one.")
    for r in rows:
        status = "abandoned" if r["abandoned"] else r["status"]
        click.echo(
            f"{r['id']:>6}  {r['integration']:<20} {status:<22} {r['trigger']:<8} {r['created_at'][:19]}  "
            f"{r['error_count']} errors  {r['warning_count']} warnings"
        )
        if r["abandoned"]:
            click.echo(f"        abandoned: {r['abandoned']}; the next sync takes it over (or `ecom jobs cancel {r['id']}`)")


@jobs.command("show")
@click.argument("job_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def show_job(job_id: int, as_json: bool) -> None:
    """A job's report: counts per phase, first errors and warnings."""
    from ecom.cli.sync import summary_text

    with Session(db.open_engine()) as session:
        report = job_report(session, _job(session, job_id))
    if as_json:
        echo_json(report)
        return
    click.echo(summary_text(report))
    for w in report["warnings"]:
        click.echo(f"    warning {w['record'] or w['phase']}: {w['message']}")
    click.echo(f"  Started {report['started_at'] or '-'}, finished {report['finished_at'] or '-'}")


@jobs.command("errors")
@click.argument("job_id", type=int)
@click.option("--warnings", is_flag=True, help="Show warnings instead of errors.")
@click.option("--json", "as_json", is_flag=True)
def job_errors(job_id: int, warnings: bool, as_json: bool) -> None:
    """Every error (or warning) of a job, each naming its record."""
    level = m.EventLevel.WARNING if warnings else m.EventLevel.ERROR
    with Session(db.open_engine()) as session:
        rows = [event_row(e) for e in events(session, _job(session, job_id).id, level)]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(f"Job {job_id} has no {level.value}s.")
    for r in rows:
        rule = f" [{r['rule']}]" if r["rule"] else ""
        click.echo(f"{r['phase']:<16} {r['record'] or '-':<14}{rule} {r['message']}")


@jobs.command("cancel")
@click.argument("job_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def cancel(job_id: int, as_json: bool) -> None:
    """Cancel a queued or running job: it ends failed, saying so, and frees its integration.

    A running job stops at its next beat (within a quarter of ECOM_JOB_LEASE_SECONDS) or its next
    call to the cart; what it stored stays, and the next sync goes on from there.
    """
    with Session(db.open_engine(), expire_on_commit=False) as session:
        job = _job(session, job_id)
        was = lifecycle.cancel_job(session, job)
        report = job_report(session, job, first=0)
    if as_json:
        echo_json({"id": job_id, "was": was, "status": report["status"], "integration": report["integration"]})
        return
    stopping = " It stops at its next heartbeat." if was == m.JobStatus.RUNNING.value else ""
    click.echo(f"Cancelled job {job_id} of {report['integration']} (it was {was}).{stopping}")


@jobs.command("retry")
@click.argument("job_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def retry_job(job_id: int, as_json: bool) -> None:
    """Run the records that failed in job JOB_ID again, after you fixed their cause.

    Orders that failed to import are imported from the copies the job kept (the cart is not read
    again); pushes that failed are sent again.
    """
    from ecom.cli.sync import EXIT, PhaseProgress, summary_text
    from ecom.jobs.runner import run_job

    engine = db.open_engine()
    with Session(engine, expire_on_commit=False) as session:
        job = lifecycle.create_retry(session, _job(session, job_id), claim=True)
    progress = None if as_json else PhaseProgress()
    try:
        run_job(engine, job.id, progress=progress, claimed=True)
    finally:
        if progress:
            progress.done()
    with Session(engine) as session:
        report = job_report(session, session.get(m.Job, job.id))
    echo_json(report) if as_json else click.echo(summary_text(report))
    sys.exit(EXIT.get(m.JobStatus(report["status"]), 1))

