"""The database helper: which database, how it is opened, and what is refused in one line."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select

from ecom import db
from ecom.errors import ConfigError
from ecom.models import Location
from ecom.testing.database import _fresh_database, _provisioner, provision


def test_the_default_database_is_ecom_db_in_the_working_folder(monkeypatch) -> None:
    monkeypatch.delenv(db.ENV_VAR, raising=False)
    assert db.database_url() == "sqlite:///ecom.db"
    assert str(db.sqlite_path(db.database_url())) == "ecom.db"


def test_the_url_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv(db.ENV_VAR, "sqlite:////srv/ecom/back-office.db")
    assert db.database_url() == "sqlite:////srv/ecom/back-office.db"
    assert db.database_url("sqlite:///other.db") == "sqlite:///other.db"  # an explicit URL wins


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_postgresql_urls_use_psycopg_3(scheme) -> None:
    assert db.database_url(f"{scheme}://ecom:s3cret@db.example.com:5433/shop") == (
        "postgresql+psycopg://ecom:s3cret@db.example.com:5433/shop"
    )


def test_a_password_is_never_displayed() -> None:
    shown = db.display_url(db.database_url("postgresql://ecom:s3cret@db.example.com/shop"))
    assert "s3cret" not in shown
    assert shown == "postgresql+psycopg://ecom:***@db.example.com/shop"


def test_a_malformed_url_is_a_config_error(monkeypatch) -> None:
    monkeypatch.setenv(db.ENV_VAR, "not a url")
    with pytest.raises(ConfigError, match="ECOM_DATABASE_URL is not a database URL"):
        db.database_url()


def test_sqlite_connections_enforce_foreign_keys_and_wait_when_busy(tmp_path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.SQLITE_BUSY_TIMEOUT * 1000
    finally:
        engine.dispose()


def test_opening_a_missing_sqlite_database_says_to_run_init_and_creates_nothing(tmp_path) -> None:
    path = tmp_path / "ecom.db"
    with pytest.raises(ConfigError, match=r"No ecom database at .*ecom\.db: run `ecom init`"):
        db.open_engine(f"sqlite:///{path}")
    assert not path.exists()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_opening_a_database_that_was_never_initialised_says_to_run_init(request, backend) -> None:
    url = provision(request, backend, migrated=False)
    if backend == "sqlite":
        sa.create_engine(url).dispose()
        db.sqlite_path(url).touch()
    with pytest.raises(ConfigError, match=r"is not initialised: run `ecom init`\.$"):
        db.open_engine(url)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_opening_an_old_revision_says_to_run_init(request, backend) -> None:
    url = provision(request, backend, migrated=False)
    db.upgrade(url, "0001")
    expected = rf"is at revision 0001, ecom needs {db.head_revision()}: run `ecom init` to upgrade it\."
    with pytest.raises(ConfigError, match=expected):
        db.open_engine(url)


def test_a_database_from_a_newer_ecom_is_refused(ecom_db) -> None:
    with ecom_db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(ConfigError, match="revision 9999, which this ecom does not know .*: upgrade ecom"):
        db.open_engine(ecom_db.url)
    with pytest.raises(ConfigError, match="upgrade ecom"):
        db.init(ecom_db.url)


def test_open_engine_gives_a_working_engine_on_a_current_database(ecom_db) -> None:
    engine = db.open_engine(ecom_db.url)
    try:
        assert db.current_revision(engine) == db.head_revision()
    finally:
        engine.dispose()


def test_init_refuses_a_folder_that_does_not_exist(tmp_path) -> None:
    with pytest.raises(ConfigError, match="the folder .*nowhere does not exist"):
        db.init(f"sqlite:///{tmp_path / 'nowhere' / 'ecom.db'}")


def test_init_creates_then_reports_nothing_to_do(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'ecom.db'}"
    head = db.head_revision()
    first = db.init(url)
    assert (first.before, first.after, first.changed) == (None, head, True)
    again = db.init(url)
    assert (again.before, again.after, again.changed) == (head, head, False)


def test_a_session_commits_at_the_end_and_rolls_back_on_error(ecom_db) -> None:
    with db.session(ecom_db.engine) as session:
        session.add(Location(name="Kept"))
    with pytest.raises(RuntimeError):
        with db.session(ecom_db.engine) as session:
            session.add(Location(name="Dropped"))
            session.flush()
            raise RuntimeError("boom")
    with db.session(ecom_db.engine) as session:
        assert [loc.name for loc in session.exec(select(Location))] == ["Kept"]


def test_the_fixture_points_ecom_at_its_database(ecom_db) -> None:
    assert db.database_url() == ecom_db.url
    assert ecom_db.backend in ecom_db.url


def test_python_m_ecom_db_runs_alembic_commands(capsys) -> None:
    db.main(["heads"])
    assert capsys.readouterr().out.strip() == f"{db.head_revision()} (head)"


def test_the_shared_postgresql_database_is_emptied_or_remade_between_tests(request) -> None:
    url = _fresh_database(request, "postgresql")
    provisioner = _provisioner(request)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO locations (name) VALUES ('Main'), ('Store')")
        leaked = engine.connect()  # a connection a test forgot, in the middle of a transaction
        leaked.exec_driver_sql("INSERT INTO item_groups (name) VALUES ('Widgets')")
        provisioner.reset_shared_postgres()
        leaked.invalidate()  # the reset closed it on the server's side
        leaked.close()
        with engine.begin() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM item_groups").scalar() == 0
            new_id = connection.exec_driver_sql("INSERT INTO locations (name) VALUES ('Again') RETURNING id").scalar()
            assert new_id == 1  # ids start again, as in a new database
            connection.exec_driver_sql("ALTER TABLE locations ADD COLUMN colour varchar")
        engine.dispose()
        provisioner.reset_shared_postgres()
        columns = {c["name"] for c in sa.inspect(engine).get_columns("locations")}
        assert columns == {"id", "name"}
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM locations").scalar() == 0
    finally:
        engine.dispose()


def test_an_engine_from_open_engine_holds_no_connection_once_its_sessions_end(ecom_db) -> None:
    engine = db.open_engine(ecom_db.url)
    with db.session(engine) as session:  # a command that forgets engine.dispose()
        session.add(Location(name="Main"))
    with ecom_db.engine.connect() as connection:
        if ecom_db.backend == "postgresql":
            others = connection.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).scalar()
            assert others == 0
    assert engine.pool.status().startswith("NullPool")
