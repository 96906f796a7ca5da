"""Exactly once under SIGKILL, one job at a time across processes, workers that never run a job twice.

These start real ``ecom`` processes against a slow fake cart on a loopback port.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from ecom import integrations
from ecom import models as m
from ecom.jobs import lifecycle

ORDERS = 150
KILL_ORDERS = 400


@pytest.fixture
def driver_site(tmp_path) -> Path:
    """Make the Test Cart driver 'installed' for child processes: an entry point on PYTHONPATH."""
    site = tmp_path / "site"
    info = site / "ecom_testcart-0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ecom-testcart\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text("[ecom]\ntestcart = ecom.testing.testcart\n")
    return site


def ecom_process(site: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "ECOM_LOAD_PLUGINS": "ecom-testcart"}
    code = "import sys; from ecom.cli import main; sys.argv = ['ecom', *sys.argv[1:]]; main()"
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_requests(fake, count: int, proc: subprocess.Popen[str], limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while len(fake.requests) < count and proc.poll() is None:
        assert time.monotonic() < deadline, "the ecom process made no progress"
        time.sleep(0.01)


@pytest.fixture
def served(shop, request):
    shop.fake.seed(orders=getattr(request, "param", ORDERS), seed=11)
    shop.fake.latency = 0.03
    with shop.fake.serve() as url, shop.db.session() as session:
        integration = integrations.get(session, shop.name)
        integrations.update_connection(session, integration, api_url=url)
        session.commit()
        yield shop


def running_job(shop) -> bool:
    with shop.session() as session:
        return session.exec(select(m.Job).where(m.Job.status == m.JobStatus.RUNNING)).first() is not None


@pytest.mark.parametrize("served", [KILL_ORDERS], indirect=True)
def test_sigkill_at_random_moments_then_rerun_imports_every_order_exactly_once(served, driver_site):
    shop, rng = served, random.Random(2026)
    for _ in range(4):
        start = len(shop.fake.requests)
        proc = ecom_process(driver_site, "sync", shop.name, "--phase", "import_orders")
        wait_for_requests(shop.fake, start + rng.randint(1, 6), proc)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    final = ecom_process(driver_site, "sync", shop.name, "--phase", "import_orders")
    out, err = final.communicate(timeout=120)
    assert final.returncode in (0, 5), err
    with shop.session() as session:
        txns = session.exec(select(m.Transaction.web_order_number)).all()
        refs = session.exec(select(m.ExternalRef).where(m.ExternalRef.kind == "order")).all()
        jobs = session.exec(select(m.Job).order_by(m.Job.id)).all()
        abandoned = session.exec(select(m.JobEvent.message).where(m.JobEvent.job_id == jobs[0].id)).all()
    assert len(txns) == len(set(txns)), "an order was imported twice"
    assert len(refs) == len(txns) and all(r.local_id for r in refs)
    expected = {str(o["number"]) for o in shop.fake.orders.values()}
    assert set(txns) <= expected
    assert [j.status for j in jobs[:-1]] == [m.JobStatus.FAILED] * (len(jobs) - 1)  # the killed ones, taken over
    assert any("abandoned" in msg and "no longer running" in msg for msg in abandoned)
    assert jobs[-1].status in (m.JobStatus.SUCCEEDED, m.JobStatus.SUCCEEDED_WITH_ERRORS)
    check = ecom_process(driver_site, "sync", shop.name, "--phase", "import_orders", "--full", "--json")
    out, err = check.communicate(timeout=120)
    assert '"created": 0' in out, "a full re-read found orders the killed runs lost"


def test_two_concurrent_syncs_of_one_integration_one_runs_the_other_is_refused(served, driver_site):
    shop = served
    shop.fake.pause()  # the first job hangs on the cart until the second has been turned away
    first = ecom_process(driver_site, "sync", shop.name, "--phase", "import_orders")
    deadline = time.monotonic() + 60
    while not running_job(shop):
        assert first.poll() is None and time.monotonic() < deadline, "the first sync never started"
        time.sleep(0.01)
    second = ecom_process(driver_site, "sync", shop.name, "--phase", "import_orders")
    _, err = second.communicate(timeout=60)
    shop.fake.resume()
    assert second.returncode == 6
    assert "already has job" in err and "a sync job must finish before another one is created" in err
    first.communicate(timeout=120)
    assert first.returncode in (0, 5)
    with shop.session() as session:
        assert session.exec(select(func.count()).select_from(m.Job)).one() == 1


def test_workers_on_several_processes_run_each_queued_job_once(served, driver_site):
    shop = served
    shop.fake.latency = 0.005
    with shop.db.session() as session:
        base = integrations.get(session, shop.name)
        names = [shop.name]
        for n in range(2):
            other = integrations.create(
                session, f"shop{n}", "testcart", website_name="x", api_url=base.api_url,
                password=shop.fake.token, settings=integrations.load_settings(session, base),
            )
            integrations.activate(session, other)
            names.append(other.name)
        session.commit()
        for name in names:
            lifecycle.create_job(
                session, integrations.get(session, name), trigger=m.JobTrigger.MANUAL, options={"phases": ["import_orders"]}
            )
    workers = [ecom_process(driver_site, "worker", "--once") for _ in range(2)]
    for w in workers:
        _, err = w.communicate(timeout=180)
        assert w.returncode == 0, err
    with shop.session() as session:
        jobs = session.exec(select(m.Job)).all()
        events = session.exec(select(m.JobEvent.job_id, m.JobEvent.message).where(m.JobEvent.level == m.EventLevel.ERROR)).all()
        per_integration = dict(
            session.exec(select(m.ExternalRef.integration_id, func.count()).where(m.ExternalRef.kind == "order").group_by(m.ExternalRef.integration_id)).all()
        )
    assert len(jobs) == 3 and all(j.status.finished and j.status is not m.JobStatus.FAILED for j in jobs), (
        [(j.id, j.status.value) for j in jobs], events[:5]
    )
    fetched = [j.counts["import_orders"]["fetched"] for j in jobs]
    assert fetched == [ORDERS] * 3  # each job's orders read once: no job ran twice
    assert len(set(per_integration.values())) == 1
