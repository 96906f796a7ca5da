"""The ``ecom_db`` fixture: a fresh, migrated back-office database for each test.

Each test that asks for ``ecom_db`` runs twice, on SQLite and on PostgreSQL. The PostgreSQL run
needs a server (``ECOM_TEST_POSTGRES_URL``, default ``postgresql://postgres@127.0.0.1:5432/postgres``,
a user allowed to create databases); when none answers, it is skipped with the reason shown.

It stays fast by migrating once per test session into a template. On SQLite each test gets a copy
of the template file. On PostgreSQL (where creating and dropping a database costs a second under
load) each test session has one database made from the template; after each test the connections
left on it are closed and its rows deleted, or, when the test changed the schema, it is made
again from the template. Names carry the process id and a random token, so parallel runs on one
server never meet, and every database made is dropped at the end. :func:`provision` gives a
database of a test's own, empty if asked, for tests of migrations themselves.
"""

from __future__ import annotations

import os
import shutil
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from ecom import db

POSTGRES_URL_ENV = "ECOM_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql")

# What a test may not change in the shared PostgreSQL database without it being made again.
SCHEMA_FINGERPRINT = """
SELECT string_agg(part, ';' ORDER BY part) FROM (
    SELECT 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type
           || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS part
      FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
    UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
    UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
      WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
    UNION ALL SELECT 'revision ' || version_num FROM alembic_version
) AS parts
"""


@dataclass
class EcomDatabase:
    """What ``ecom_db`` yields: the database's URL, an engine on it, and sessions."""

    url: str
    engine: Engine
    backend: str

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block ends (rolls back if it raises)."""
        with db.session(self.engine) as session:
            yield session


class _SchemaChanged(Exception):
    pass


@dataclass
class _SharedPostgres:
    """The test session's PostgreSQL database, and how to empty it between tests."""

    name: str
    url: str
    template: str
    fingerprint: str
    tables: list[str]  # children before parents: the order rows are deleted in
    sequences: list[str]


@dataclass
class _Provisioner:
    """Per test session: where databases are made, the templates made so far, what to drop."""

    workdir: Path
    token: str = field(default_factory=lambda: f"{os.getpid()}_{uuid.uuid4().hex[:8]}")
    templates: dict[str, str] = field(default_factory=dict)
    shared: _SharedPostgres | None = None
    postgres_problem: str | None = None
    postgres_checked: bool = False
    counter: int = 0

    def next_name(self) -> str:
        self.counter += 1
        return f"ecom_test_{self.token}_{self.counter}"

    # -- PostgreSQL --------------------------------------------------------------------------

    @property
    def admin_url(self) -> str:
        return db.database_url(os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL)

    def _admin(self) -> Engine:
        return sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})

    def require_postgres(self) -> None:
        if not self.postgres_checked:
            self.postgres_checked = True
            engine = self._admin()
            try:
                with engine.connect() as connection:
                    connection.exec_driver_sql("SELECT 1")
            except Exception as exc:  # noqa: BLE001 - any failure to connect means "no server here"
                words = str(getattr(exc, "orig", exc)).strip()
                self.postgres_problem = (
                    f"PostgreSQL not reachable at {db.display_url(self.admin_url)} "
                    f"({words.splitlines()[0] if words else type(exc).__name__}); "
                    f"set {POSTGRES_URL_ENV} to test on PostgreSQL"
                )
            finally:
                engine.dispose()
        if self.postgres_problem:
            pytest.skip(self.postgres_problem)

    def _execute(self, *statements: str) -> None:
        engine = self._admin()
        try:
            with engine.connect() as connection:
                for sql in statements:
                    connection.exec_driver_sql(sql)
        finally:
            engine.dispose()

    def _url_of(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def create_postgres(self, template: str | None = None, name: str | None = None) -> tuple[str, Callable[[], None]]:
        name = name or self.next_name()
        self._execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self._url_of(name), lambda: self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def shared_postgres(self, config: pytest.Config) -> str:
        """The session's PostgreSQL database at the latest revision, empty."""
        if self.shared is None:
            template = make_url(self.template("postgresql", config)).database
            assert template is not None
            url, drop = self.create_postgres(template=template)
            config.add_cleanup(drop)
            engine = sa.create_engine(url)
            try:
                with engine.connect() as connection:
                    fingerprint = connection.exec_driver_sql(SCHEMA_FINGERPRINT).scalar_one()
                    sequences = [
                        f'"{schema}"."{name}"'
                        for schema, name in connection.exec_driver_sql(
                            "SELECT sequence_schema, sequence_name FROM information_schema.sequences"
                        )
                    ]
                metadata = sa.MetaData()
                metadata.reflect(engine)
                with warnings.catch_warnings():  # a cycle of foreign keys only makes the reset slower
                    warnings.simplefilter("ignore")
                    tables = [t.name for t in reversed(metadata.sorted_tables) if t.name != "alembic_version"]
            finally:
                engine.dispose()
            name = make_url(url).database
            assert name is not None
            self.shared = _SharedPostgres(name, url, template, fingerprint, tables, sequences)
        return self.shared.url

    def reset_shared_postgres(self) -> None:
        """Empty the shared database for the next test, or make it again if the schema changed."""
        shared = self.shared
        assert shared is not None
        engine = sa.create_engine(shared.url)
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
                if connection.exec_driver_sql(SCHEMA_FINGERPRINT).scalar_one() != shared.fingerprint:
                    raise _SchemaChanged
                for table in shared.tables:
                    connection.exec_driver_sql(f'DELETE FROM "{table}"')
                if shared.sequences:
                    connection.exec_driver_sql("SELECT " + ", ".join(f"setval('{s}', 1, false)" for s in shared.sequences))
        except Exception:  # noqa: BLE001 - whatever the test left behind, a copy of the template cures it
            engine.dispose()
            self._execute(
                f'DROP DATABASE IF EXISTS "{shared.name}" WITH (FORCE)',
                f'CREATE DATABASE "{shared.name}" TEMPLATE "{shared.template}"',
            )
        finally:
            engine.dispose()

    # -- both --------------------------------------------------------------------------------

    def empty(self, backend: str) -> tuple[str, Callable[[], None]]:
        """A new database with no tables, and how to drop it."""
        if backend == "postgresql":
            self.require_postgres()
            return self.create_postgres()
        path = self.workdir / f"{self.next_name()}.db"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)

    def template(self, backend: str, config: pytest.Config) -> str:
        """This session's database at the latest revision, that others are copied from."""
        if backend not in self.templates:
            url, drop = self.empty(backend)
            config.add_cleanup(drop)
            db.upgrade(url)
            self.templates[backend] = url
        return self.templates[backend]

    def migrated(self, backend: str, config: pytest.Config) -> tuple[str, Callable[[], None]]:
        """A new database at the latest revision, of the caller's own."""
        template = self.template(backend, config)
        if backend == "postgresql":
            return self.create_postgres(template=make_url(template).database)
        path = self.workdir / f"{self.next_name()}.db"
        shutil.copyfile(db.sqlite_path(template), path)  # type: ignore[arg-type]
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)


_PROVISIONER = pytest.StashKey[_Provisioner]()


def _provisioner(request: pytest.FixtureRequest) -> _Provisioner:
    config = request.config
    if _PROVISIONER not in config.stash:
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        config.stash[_PROVISIONER] = _Provisioner(workdir=factory.mktemp("ecom-databases"))
    return config.stash[_PROVISIONER]


def _check(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"Unknown database backend {backend!r}: use one of {', '.join(BACKENDS)}.")


def provision(request: pytest.FixtureRequest, backend: str, *, migrated: bool = True) -> str:
    """A new database of this test's own on ``backend`` ("sqlite" or "postgresql"), dropped after it.

    ``migrated=False`` gives an empty one (to test migrations). Skips when PostgreSQL is asked
    for and not reachable.
    """
    _check(backend)
    provisioner = _provisioner(request)
    url, drop = provisioner.migrated(backend, request.config) if migrated else provisioner.empty(backend)
    request.addfinalizer(drop)
    return db.database_url(url)


def _fresh_database(request: pytest.FixtureRequest, backend: str) -> str:
    """A migrated, empty database for one test: the shared one on PostgreSQL, a copy on SQLite."""
    _check(backend)
    if backend == "sqlite":
        return provision(request, backend)
    provisioner = _provisioner(request)
    provisioner.require_postgres()
    url = provisioner.shared_postgres(request.config)
    request.addfinalizer(provisioner.reset_shared_postgres)
    return db.database_url(url)


@pytest.fixture(params=BACKENDS)
def ecom_db(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[EcomDatabase]:
    """A fresh back-office database at the latest revision, on SQLite then on PostgreSQL.

    ``ECOM_DATABASE_URL`` points at it for the test, so ``ecom`` commands run by ``ecom_cli``
    use it. Yields an :class:`EcomDatabase` (``url``, ``engine``, ``session()``).
    """
    backend = request.param
    url = _fresh_database(request, backend)
    monkeypatch.setenv(db.ENV_VAR, url)
    engine = db.make_engine(url)
    try:
        yield EcomDatabase(url=url, engine=engine, backend=backend)
    finally:
        engine.dispose()
