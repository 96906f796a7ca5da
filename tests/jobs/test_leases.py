"""Leases: a slow cart call keeps its job, a job that lost its lease cannot write its end, no job
is stuck queued, a dead job is shown abandoned, and the admin can cancel one.

A "slow cart" is the fake paused for the whole test step: its one call lasts as long as the test
wants, with a lease of one second.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest
from sqlmodel import select

from ecom import models as m
from ecom.jobs import lifecycle
from ecom.jobs.runner import run_job

LEASE = 1  # second


def wait_until(condition: Callable[[], bool], what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.02)


class Background:
    """A job run by ``run_job`` in a thread of this process, as ``ecom sync`` would run it."""

    def __init__(self, shop) -> None:
        self.shop, self.result, self.error = shop, None, None
        with shop.session() as session:
            self.job = lifecycle.create_job(
                session, shop.integration(session), trigger=m.JobTrigger.MANUAL, options={"phases": ["import_orders"]}, claim=True
            )
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.result = run_job(self.shop.db.engine, self.job.id, transport=self.shop.fake.transport(), claimed=True)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.error = exc

    def row(self) -> m.Job:
        with self.shop.session() as session:
            return session.get(m.Job, self.job.id)

    def join(self) -> m.Job:
        self.thread.join(timeout=120)
        assert not self.thread.is_alive() and self.error is None, self.error
        return self.row()


def events(shop, job_id: int) -> list[str]:
    with shop.session() as session:
        return list(session.exec(select(m.JobEvent.message).where(m.JobEvent.job_id == job_id).order_by(m.JobEvent.id)))


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    return int(done.stdout)


@pytest.fixture
def short_lease(monkeypatch):
    monkeypatch.setenv("ECOM_JOB_LEASE_SECONDS", str(LEASE))


def test_a_cart_call_longer_than_the_lease_keeps_its_job_alive(shop, short_lease):
    shop.fake.seed(orders=5, seed=31)
    shop.fake.pause()
    try:
        first = Background(shop)
        started = first.row().started_at

        def beaten_for_three_leases() -> bool:
            job = first.row()
            return job.heartbeat_at is not None and (job.heartbeat_at - started).total_seconds() >= 3 * LEASE

        wait_until(beaten_for_three_leases, "the job's heartbeat to beat while its cart call hangs")
        assert shop.fake.requests == []  # still inside its first call to the cart
        with shop.session() as session, pytest.raises(lifecycle.JobLockedError, match=f"already has job {first.job.id} "):
            lifecycle.create_job(session, shop.integration(session), trigger=m.JobTrigger.MANUAL, options={}, claim=True)
    finally:
        shop.fake.resume()
    done = first.join()
    assert done.status is m.JobStatus.SUCCEEDED and done.counts["import_orders"]["fetched"] == 5
    assert not any("abandoned" in message for message in events(shop, first.job.id))


def test_a_job_that_lost_its_lease_stops_and_cannot_write_its_end_over_the_takeover(shop, short_lease, monkeypatch):
    monkeypatch.setattr(lifecycle.KeepAlive, "_run", lambda self: None)  # its beats never arrive (a cut network)
    shop.fake.seed(orders=5, seed=32)
    shop.fake.pause()
    try:
        first = Background(shop)
        wait_until(lambda: lifecycle.stale_reason(first.row()) is not None, "the silent job's lease to run out")
        with shop.session() as session:
            second = lifecycle.create_job(session, shop.integration(session), trigger=m.JobTrigger.MANUAL, options={}, claim=True)
        taken = first.row()
        assert taken.status is m.JobStatus.FAILED
    finally:
        shop.fake.resume()
    after = first.join()
    assert (after.status, after.finished_at) == (m.JobStatus.FAILED, taken.finished_at)  # not "succeeded" over the takeover
    notes = events(shop, first.job.id)
    assert notes[0].startswith("abandoned: its worker ") and "has not been heard from since" in notes[0]
    assert any("is no longer this process's to run (it is failed now" in note for note in notes[1:])
    assert after.counts.get("import_orders", {}).get("created", 0) == 0  # it stopped before writing an order
    done = run_job(shop.db.engine, second.id, transport=shop.fake.transport(), claimed=True)
    assert done.status is m.JobStatus.SUCCEEDED and done.counts["import_orders"]["created"] > 0


def test_a_queued_job_whose_creator_died_does_not_block_the_next_sync(live_shop, ecom_cli):
    shop = live_shop
    with shop.db.session() as session:
        stuck = lifecycle.create_job(session, shop.integration(session), trigger=m.JobTrigger.MANUAL, options={})
        stuck.worker = f"{lifecycle.worker_name().rpartition(':')[0]}:{dead_pid()}"  # the `ecom sync` killed before it claimed
    listed = ecom_cli("jobs", "list")
    assert f"{stuck.id:>6}  shop" in listed.stdout and " abandoned " in listed.stdout
    assert "the process that queued it" in listed.stdout and "is no longer running" in listed.stdout
    result = ecom_cli("sync", "shop")
    assert result.exit_code == 0, result.output
    assert events(shop, stuck.id) == [f"abandoned: the process that queued it ({stuck.worker}) is no longer running"]


def test_a_queued_job_nobody_claimed_within_the_lease_expires(shop, monkeypatch):
    monkeypatch.setenv("ECOM_JOB_LEASE_SECONDS", "60")
    with shop.db.session() as session:  # queued by an ecom that did not say who it was
        stuck = lifecycle.create_job(session, shop.integration(session), trigger=m.JobTrigger.SCHEDULE, options={})
        stuck.worker, stuck.created_at = None, m.utcnow() - dt.timedelta(seconds=30)
    with shop.session() as session, pytest.raises(lifecycle.JobLockedError):
        lifecycle.create_job(session, shop.integration(session), trigger=m.JobTrigger.MANUAL, options={})
    queued_at = m.utcnow() - dt.timedelta(seconds=90)
    with shop.db.session() as session:
        session.get(m.Job, stuck.id).created_at = queued_at
    job = shop.sync()
    assert job.status is m.JobStatus.SUCCEEDED
    assert events(shop, stuck.id) == [f"abandoned: no worker claimed it since {queued_at:%Y-%m-%d %H:%M:%S} UTC"]


def test_sync_creates_its_job_already_running_so_a_kill_never_leaves_it_queued(shop):
    with shop.session() as session:
        job = lifecycle.create_job(session, shop.integration(session), trigger=m.JobTrigger.MANUAL, options={}, claim=True)
    assert (job.status, job.worker) == (m.JobStatus.RUNNING, lifecycle.worker_name())
    assert job.started_at == job.heartbeat_at is not None


def test_jobs_list_shows_a_dead_running_job_as_abandoned(shop, ecom_cli):
    with shop.db.session() as session:
        dead = lifecycle.create_job(session, shop.integration(session), trigger=m.JobTrigger.MANUAL, options={}, claim=True)
        dead.worker = f"{lifecycle.worker_name().rpartition(':')[0]}:{dead_pid()}"
    shown = ecom_cli("jobs", "list")
    assert shown.exit_code == 0
    line, why = shown.stdout.splitlines()[:2]
    assert line.split()[:3] == [str(dead.id), "shop", "abandoned"]
    assert why.strip() == (
        f"abandoned: its worker {dead.worker} is no longer running; the next sync takes it over (or `ecom jobs cancel {dead.id}`)"
    )
    row, = json.loads(ecom_cli("jobs", "list", "--json").stdout)
    assert row["status"] == "running" and row["abandoned"] == f"its worker {dead.worker} is no longer running"


def test_jobs_cancel_ends_a_queued_job_and_refuses_a_finished_one(shop, ecom_cli):
    with shop.db.session() as session:
        queued = lifecycle.create_job(session, shop.integration(session), trigger=m.JobTrigger.SCHEDULE, options={})
    result = ecom_cli("jobs", "cancel", str(queued.id), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"id": queued.id, "was": "queued", "status": "failed", "integration": "shop"}
    assert events(shop, queued.id) == ["cancelled by the admin while queued"]
    again = ecom_cli("jobs", "cancel", str(queued.id))
    assert again.exit_code == 3 and again.stderr == f"Error: Job {queued.id} has already finished (failed): there is nothing to cancel.\n"
    assert shop.sync().status is m.JobStatus.SUCCEEDED  # the integration is free again


def test_jobs_cancel_stops_a_running_job_at_its_next_beat(shop, short_lease, ecom_cli):
    shop.fake.seed(orders=5, seed=33)
    shop.fake.pause()
    try:
        running = Background(shop)
        result = ecom_cli("jobs", "cancel", str(running.job.id))
        assert result.exit_code == 0, result.output
        assert result.stdout == f"Cancelled job {running.job.id} of shop (it was running). It stops at its next heartbeat.\n"
    finally:
        shop.fake.resume()
    after = running.join()
    assert after.status is m.JobStatus.FAILED and after.counts.get("import_orders", {}).get("created", 0) == 0
    assert events(shop, running.job.id)[0] == "cancelled by the admin while running"
