"""``ecom worker``: run scheduled and queued sync jobs (``--once`` for cron)."""

from __future__ import annotations

import signal
import threading

import click

from ecom import db
from ecom.cli import cli
from ecom.errors import EcomError
from ecom.jobs import worker as jobs_worker
from ecom.models import Job


def _say(job: Job) -> None:
    click.echo(f"job {job.id} (integration {job.integration_id}, {job.trigger.value}): {job.status.value.replace('_', ' ')}")


@cli.command()
@click.option("--once", is_flag=True, help="Run what is due and queued now, then exit (for cron).")
@click.option("--poll", default=30.0, show_default=True, help="Seconds between looks for work.")
def worker(once: bool, poll: float) -> None:
    """Queue scheduled jobs when they are due and run queued jobs. Many workers may share a database."""
    engine = db.open_engine()
    if once:
        ran = jobs_worker.work_once(engine, on_job=_say)
        if not ran:
            click.echo("Nothing to do.")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"ecom worker: looking for work every {poll:g} s (Ctrl-C to stop)")
    jobs_worker.work_forever(engine, poll=poll, stop=stop, on_job=_say, on_error=_complain)


def _complain(error: EcomError) -> None:
    click.echo(f"Error: {error}; looking again in the next poll", err=True)
