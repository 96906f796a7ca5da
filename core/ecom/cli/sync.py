"""``ecom sync``: run one integration's sync job now, with progress."""

from __future__ import annotations

import sys

import click
from sqlmodel import Session

from ecom import db, integrations
from ecom.cli import cli, echo_json
from ecom.errors import ConfigError
from ecom.jobs import lifecycle
from ecom.jobs.report import job_report
from ecom.jobs.runner import ORDER, run_job
from ecom.models import JobStatus, JobTrigger

EXIT = {JobStatus.SUCCEEDED: 0, JobStatus.SUCCEEDED_WITH_ERRORS: 5, JobStatus.FAILED: 4}


class PhaseProgress:
    """One line per phase: rewritten in place on a terminal, printed once per phase otherwise."""

    def __init__(self, stream=None) -> None:  # type: ignore[no-untyped-def]
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.phase: str | None = None
        self.line = ""

    def __call__(self, phase: str, counts: dict[str, int]) -> None:
        if phase != self.phase:
            self.done()
            self.phase = phase
        self.line = f"{phase.replace('_', ' '):<16} " + "  ".join(f"{v} {k}" for k, v in counts.items() if v)
        if self.tty:
            self.stream.write("\r" + self.line.ljust(78)[:200])
            self.stream.flush()

    def done(self) -> None:
        if self.phase is not None:
            self.stream.write(("\r" + self.line.ljust(78) if self.tty else self.line) + "\n")
            self.stream.flush()
        self.phase = None


@cli.command()
@click.argument("name")
@click.option("--phase", "phases", multiple=True, type=click.Choice(ORDER), help="Run only this phase (repeatable).")
@click.option("--full", is_flag=True, help="Ignore watermarks and delta memory: read and push everything.")
@click.option("--json", "as_json", is_flag=True, help="Print the job's report as JSON.")
def sync(name: str, phases: tuple[str, ...], full: bool, as_json: bool) -> None:
    """Run a sync job for integration NAME now.

    Exit codes: 0 succeeded, 5 succeeded with errors on some records, 4 failed (or the database
    stopped answering), 3 the settings cannot run (nothing ran), 6 another job of this integration
    is queued or running.
    """
    engine = db.open_engine()
    with Session(engine, expire_on_commit=False) as session:
        integration = integrations.get(session, name)
        if not integration.active:
            raise ConfigError(f"Integration {name!r} is inactive: `ecom integration activate {name}` first.")
        integrations.require_ready(session, integration)  # settings that cannot run: exit 3, no job
        job = lifecycle.create_job(
            session, integration, trigger=JobTrigger.MANUAL, options={"phases": list(phases), "full": full}, claim=True
        )
    progress = None if as_json else PhaseProgress()
    try:
        job = run_job(engine, job.id, progress=progress, claimed=True)
    finally:
        if progress:
            progress.done()  # the progress line ends before any error line
    with Session(engine) as session:
        report = job_report(session, session.get(type(job), job.id))
    if as_json:
        echo_json(report)
    else:
        click.echo(summary_text(report))
    sys.exit(EXIT.get(JobStatus(report["status"]), 1))


def summary_text(report: dict) -> str:  # type: ignore[type-arg]
    lines = [f"Job {report['id']} for {report['integration']}: {report['status'].replace('_', ' ')}"]
    for phase, counts in report["counts"].items():
        lines.append(f"  {phase.replace('_', ' '):<16} " + "  ".join(f"{v} {k}" for k, v in counts.items()))
    if report["error_count"]:
        lines.append(f"  {report['error_count']} error(s), first ones:")
        lines += [f"    {e['record'] or e['phase']}: {e['message']}" for e in report["errors"][:5]]
        lines.append(f"  All of them: ecom jobs errors {report['id']}")
    if report["warning_count"]:
        lines.append(f"  {report['warning_count']} warning(s): ecom jobs errors {report['id']} --warnings")
    return "\n".join(lines)
