"""The ``ecom_db`` fixture: a fresh, migrated back-office database for each test.

Each test that asks for ``ecom_db`` runs twice, on SQLite and on PostgreSQL. The PostgreSQL run
needs a server (``ECOM_TEST_POSTGRES_URL``, default ``postgresql://postgres@127.0.0.1:5432/postgres``,
a user allowed to create databases); when none answers, it is skipped with the reason shown.

It stays fast by migrating once per test session: a template SQLite file is copied for each test,
and each PostgreSQL database is made with ``CREATE DATABASE ... TEMPLATE``. Names carry the process
id and a random token, so parallel runs on one server do not meet; every database made is dropped.
:func:`provision` gives an empty (unmigrated) database too, for tests of migrations themselves.
"""

from __future__ import annotations

import os
import shutil
import uuid
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


@dataclass
class _Provisioner:
    """Per test session: where databases are made, the templates made so far, what to drop."""

    workdir: Path
    token: str = field(default_factory=lambda: f"{os.getpid()}_{uuid.uuid4().hex[:8]}")
    templates: dict[str, str] = field(default_factory=dict)
    postgres_problem: str | None = None
    postgres_checked: bool = False
    postgres_version: int = 0
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
                    self.postgres_version = int(connection.exec_driver_sql("SHOW server_version_num").scalar_one())
            except Exception as exc:  # noqa: BLE001 - any failure to connect means "no server here"
                first_line = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                self.postgres_problem = (
                    f"PostgreSQL not reachable at {db.display_url(self.admin_url)} ({first_line}); "
                    f"set {POSTGRES_URL_ENV} to test on PostgreSQL"
                )
            finally:
                engine.dispose()
        if self.postgres_problem:
            pytest.skip(self.postgres_problem)

    def _execute(self, sql: str) -> None:
        engine = self._admin()
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(sql)
        finally:
            engine.dispose()

    def create_postgres(self, template: str | None = None) -> tuple[str, Callable[[], None]]:
        name = self.next_name()
        sql = f'CREATE DATABASE "{name}"'
        if template:
            # FILE_COPY (PostgreSQL 15+) copies a small template several times faster than WAL_LOG.
            sql += f' TEMPLATE "{template}"' + (" STRATEGY FILE_COPY" if self.postgres_version >= 150000 else "")
        self._execute(sql)
        url = make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)
        return url, lambda: self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # -- both --------------------------------------------------------------------------------

    def empty(self, backend: str) -> tuple[str, Callable[[], None]]:
        """A new database with no tables, and how to drop it."""
        if backend == "postgresql":
            self.require_postgres()
            return self.create_postgres()
        path = self.workdir / f"{self.next_name()}.db"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)

    def migrated(self, backend: str, config: pytest.Config) -> tuple[str, Callable[[], None]]:
        """A new database at the latest revision (copied from this session's template)."""
        if backend not in self.templates:
            url, drop = self.empty(backend)
            config.add_cleanup(drop)
            db.upgrade(url)
            self.templates[backend] = url
        template = self.templates[backend]
        if backend == "postgresql":
            self.require_postgres()
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


def provision(request: pytest.FixtureRequest, backend: str, *, migrated: bool = True) -> str:
    """A new database for this test on ``backend`` ("sqlite" or "postgresql"), dropped after it.

    ``migrated=False`` gives an empty one (to test migrations). Skips when PostgreSQL is asked
    for and not reachable.
    """
    if backend not in BACKENDS:
        raise ValueError(f"Unknown database backend {backend!r}: use one of {', '.join(BACKENDS)}.")
    provisioner = _provisioner(request)
    url, drop = provisioner.migrated(backend, request.config) if migrated else provisioner.empty(backend)
    request.addfinalizer(drop)
    return db.database_url(url)


@pytest.fixture(params=BACKENDS)
def ecom_db(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[EcomDatabase]:
    """A fresh back-office database at the latest revision, on SQLite then on PostgreSQL.

    ``ECOM_DATABASE_URL`` points at it for the test, so ``ecom`` commands run by ``ecom_cli``
    use it. Yields an :class:`EcomDatabase` (``url``, ``engine``, ``session()``).
    """
    backend = request.param
    url = provision(request, backend)
    monkeypatch.setenv(db.ENV_VAR, url)
    engine = db.make_engine(url)
    try:
        yield EcomDatabase(url=url, engine=engine, backend=backend)
    finally:
        engine.dispose()
