"""The database under faults and odd input: created private, refused in one line, lost mid-job."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa
from sqlmodel import select

from ecom import db, integrations
from ecom import models as m

from tests.jobs.conftest import shop  # noqa: F401  (the fixture, for commands that need an integration)


@pytest.fixture
def loose_umask():
    """The usual umask (files readable by every user unless ecom says otherwise)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ecom_init_creates_the_sqlite_database_readable_by_its_owner_only(ecom_cli, tmp_path, monkeypatch, loose_umask):
    path = tmp_path / "ecom.db"
    monkeypatch.setenv("ECOM_DATABASE_URL", f"sqlite:///{path}")
    result = ecom_cli("init")
    assert result.exit_code == 0, result.output
    assert mode(path) == 0o600
    assert all(mode(other) == 0o600 for other in tmp_path.glob("ecom.db*"))  # journal / WAL files, if any remain
    assert "owner-only (0600) now" not in result.stderr  # nothing to tighten in a file it made


def test_ecom_init_makes_an_older_world_readable_database_owner_only_and_says_so(ecom_cli, tmp_path, monkeypatch):
    path = tmp_path / "ecom.db"
    monkeypatch.setenv("ECOM_DATABASE_URL", f"sqlite:///{path}")
    assert ecom_cli("init").exit_code == 0
    path.chmod(0o644)  # as an ecom before 0600 databases (or a copy) left it
    result = ecom_cli("init")
    assert result.exit_code == 0, result.output
    assert mode(path) == 0o600
    assert f"{path} could be read by other users (mode 0644): it is owner-only (0600) now" in result.stderr
    assert ecom_cli("init").stderr.count("owner-only (0600) now") == 0  # said once, when it changed


@pytest.mark.parametrize(
    ("env", "args", "code", "words"),
    [
        ({"ECOM_DATABASE_URL": "mysql://ecom@127.0.0.1/ecom"}, ("jobs", "list"), 3, "ECOM_DATABASE_URL names a mysql database"),
        ({"ECOM_DATABASE_URL": "mysql://ecom@127.0.0.1/ecom"}, ("init",), 3, "SQLite (sqlite:///ecom.db) or PostgreSQL"),
        ({}, ("jobs", "show", "99999999999999999999999"), 3, "There is no job 99999999999999999999999"),
        ({}, ("jobs", "errors", "0"), 3, "There is no job 0"),
        ({"ECOM_JOB_LEASE_SECONDS": "five"}, ("sync", "shop"), 3, "ECOM_JOB_LEASE_SECONDS must be a number of seconds, at least 1 (it is 'five')"),
        ({"ECOM_JOB_LEASE_SECONDS": "nan"}, ("jobs", "list"), 3, "ECOM_JOB_LEASE_SECONDS must be a number of seconds"),
    ],
)
def test_odd_input_is_one_line_and_the_documented_exit_code(shop, ecom_cli, env, args, code, words):
    result = ecom_cli(*args, env=env)
    assert result.exit_code == code, result.output
    assert result.stderr.startswith("Error: ") and words in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_file_that_is_not_a_sqlite_database_is_refused_in_one_line(ecom_cli, tmp_path, monkeypatch):
    path = tmp_path / "notes.db"
    path.write_text("these are not the tables you are looking for\n" * 200)
    monkeypatch.setenv("ECOM_DATABASE_URL", f"sqlite:///{path}")
    for args in (("jobs", "list"), ("init",), ("sync", "shop")):
        result = ecom_cli(*args)
        assert result.exit_code == 3, result.output
        assert result.stderr == f"Error: Cannot open the database sqlite:///{path}: file is not a database\n"


@pytest.fixture
def full_disk(shop):
    """Every new SQLite connection may grow the database by a few pages only: a disk that fills up."""
    if shop.db.backend != "sqlite":
        pytest.skip("a full disk is simulated with SQLite's max_page_count")

    def limit(dbapi_connection, _record) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 8}")

    sa.event.listen(sa.engine.Engine, "connect", limit)
    try:
        yield shop
    finally:
        sa.event.remove(sa.engine.Engine, "connect", limit)


def test_a_full_disk_mid_sync_is_one_line_exit_4_not_an_internal_error(full_disk, ecom_cli):
    shop = full_disk
    shop.fake.seed(orders=300, seed=51)
    with shop.fake.serve() as url, shop.db.session() as session:
        integrations.update_connection(session, integrations.get(session, shop.name), api_url=url)
        session.commit()
        result = ecom_cli("sync", shop.name, "--phase", "import_orders")
    assert result.exit_code == 4, result.output
    assert result.stderr.splitlines()[-1] == "Error: the database stopped answering: database or disk is full"
    assert "Traceback" not in result.stderr
    with shop.session() as session:
        job = session.exec(select(m.Job)).one()
        bugs = session.exec(select(m.JobEvent).where(m.JobEvent.rule == "bug")).all()
        last = session.exec(select(m.JobEvent.message).order_by(m.JobEvent.id.desc())).first()
    assert bugs == []
    assert job.status is m.JobStatus.FAILED  # marked on a new connection, with room for that
    assert last == "the database stopped answering: database or disk is full"


def test_a_terminated_backend_is_the_database_stopped_answering(ecom_db):
    if ecom_db.backend != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    engine = db.make_engine(ecom_db.url, pooled=False)
    try:
        with engine.connect() as victim:
            pid = victim.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            with ecom_db.engine.connect() as admin:
                assert admin.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar_one() is True
                admin.commit()
            with pytest.raises(sa.exc.DBAPIError) as raised:
                victim.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()
    error = db.unavailable(raised.value)
    assert error is not None and error.exit_code == 4
    assert str(error).startswith("the database stopped answering: ") and "\n" not in str(error)
    assert db.unavailable(ValueError("not the database")) is None
