"""Losing the database mid-job: one line, exit code 4, no traceback; the next run takes the job over.

The PostgreSQL server here is the test's own (``initdb`` and ``pg_ctl`` into a temporary folder, run
as the ``postgres`` user when the tests run as root), so it can be stopped in the middle of a sync
without touching the shared one. Skipped, with the reason, where those programs are missing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import Session, select

from ecom import db, integrations
from ecom import models as m
from ecom.errors import DatabaseUnavailableError
from ecom.jobs import worker
from ecom.testing import testcart
from ecom.testing.database import EcomDatabase

from .conftest import make_shop
from .test_crash_and_concurrency import driver_site, ecom_process  # noqa: F401  (driver_site is a fixture)


@dataclass
class PrivateServer:
    bin: Path
    data: Path
    port: int
    user: list[str]  # the command prefix that runs a program as the server's owner

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *args: str) -> None:
        subprocess.run([*self.user, str(self.bin / "pg_ctl"), "-D", str(self.data / "db"), *args],
                       check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.pg_ctl("-o", options, "-l", str(self.data / "server.log"), "-w", "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def private_postgres() -> Iterator[PrivateServer]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = Path(found[-1]) if found else Path(shutil.which("initdb") or "/nonexistent")
    if not initdb.exists():
        pytest.skip("no initdb/pg_ctl (PostgreSQL's server programs) on this machine: cannot stop a server of the test's own")
    user: list[str] = []
    data = Path(tempfile.mkdtemp(prefix="w18a-postgres-"))
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(data)
            pytest.skip("running as root and there is no 'postgres' user to own a test PostgreSQL server")
        os.chown(data, owner.pw_uid, owner.pw_gid)
        user = ["runuser", "-u", "postgres", "--"]
    server = PrivateServer(initdb.parent, data, _free_port(), user)
    try:
        subprocess.run([*user, str(initdb), "-D", str(data / "db"), "-A", "trust", "-U", "postgres", "--no-sync"],
                       check=True, capture_output=True, timeout=300)
        server.start()
        yield server
    finally:
        subprocess.run([*user, str(server.bin / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def test_a_postgresql_server_stopped_mid_sync_is_one_line_exit_4_and_the_next_sync_takes_over(
    private_postgres, ecom_plugins, driver_site, tmp_path, monkeypatch  # noqa: F811
):
    url = db.database_url(private_postgres.url)
    monkeypatch.setenv(db.ENV_VAR, url)
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    monkeypatch.delenv("ECOM_RAISE_ERRORS", raising=False)
    db.init(url)
    engine = db.make_engine(url, pooled=False)
    ecom_plugins.register(testcart, name="testcart")
    shop = make_shop(EcomDatabase(url=url, engine=engine, backend="postgresql"))
    shop.fake.seed(orders=120, seed=41)

    def jobs() -> list[m.Job]:
        with Session(engine) as session:
            return list(session.exec(select(m.Job).order_by(m.Job.id)))

    with shop.fake.serve() as cart_url:
        with shop.db.session() as session:
            integrations.update_connection(session, integrations.get(session, "shop"), api_url=cart_url)
        shop.fake.pause()  # the sync waits on the cart while the database goes away
        first = ecom_process(driver_site, "sync", "shop", "--phase", "import_orders")
        deadline = time.monotonic() + 60
        while not any(job.status is m.JobStatus.RUNNING for job in jobs()):
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.05)
        private_postgres.stop()
        shop.fake.resume()
        _, err = first.communicate(timeout=120)
        assert first.returncode == 4, err
        assert "Traceback" not in err and "internal error" not in err
        errors = [line for line in err.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and errors[0].startswith("Error: the database stopped answering: "), err
        assert err.strip().splitlines()[-1] == errors[0]

        private_postgres.start()
        second = ecom_process(driver_site, "sync", "shop", "--phase", "import_orders")
        _, err = second.communicate(timeout=180)
        assert second.returncode in (0, 5), err
    lost, ran = jobs()
    assert lost.status is m.JobStatus.FAILED and ran.status in (m.JobStatus.SUCCEEDED, m.JobStatus.SUCCEEDED_WITH_ERRORS)
    with Session(engine) as session:
        notes = session.exec(select(m.JobEvent.message).where(m.JobEvent.job_id == lost.id)).all()
        numbers = session.exec(select(m.Transaction.web_order_number)).all()
    assert any(note.startswith("abandoned: its worker ") and "is no longer running" in note for note in notes), notes
    assert len(numbers) == len(set(numbers)) == ran.counts["import_orders"]["created"] + lost.counts.get("import_orders", {}).get("created", 0)


def test_the_worker_outlives_a_database_that_stopped_answering():
    engine = db.make_engine(f"postgresql://postgres@127.0.0.1:{_free_port()}/gone", pooled=False)  # nobody listens there
    stop, told = threading.Event(), []

    def on_error(error) -> None:
        told.append(error)
        if len(told) == 2:
            stop.set()

    try:
        worker.work_forever(engine, poll=0, stop=stop, on_error=on_error)
    finally:
        engine.dispose()
    assert len(told) == 2 and all(isinstance(e, DatabaseUnavailableError) for e in told)
    assert str(told[0]).startswith("the database stopped answering: ") and "\n" not in str(told[0])
