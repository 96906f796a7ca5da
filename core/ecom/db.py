"""Where the back office lives: the database URL, engines, sessions and migrations.

By default the database is the SQLite file ``ecom.db`` in the working folder; ``ECOM_DATABASE_URL``
points ecom at another SQLite file or a PostgreSQL database instead (``postgresql://user@host/db``
uses psycopg 3); other databases are refused in one line. SQLite
connections enforce foreign keys and wait for a busy database instead of failing at once. A
SQLite file ecom creates is readable by its owner only (0600), like the secret key file.

The schema is Alembic's (``ecom/migrations``, configured here, no ``alembic.ini``): :func:`upgrade`
brings a database to the latest revision and :func:`init` is ``ecom init``. Commands that read or
write the back office open it with :func:`open_engine`, which refuses, in one line, a database
that does not exist or is not at the revision this ecom expects. Maintainers run Alembic's own
commands with ``python -m ecom.db`` (e.g. ``python -m ecom.db revision --autogenerate -m "..."
--rev-id 0003``).
"""

from __future__ import annotations

import os
import random
import stat
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import CommandLine, Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session

from ecom.errors import ConfigError, DatabaseUnavailableError

T = TypeVar("T")
ENV_VAR = "ECOM_DATABASE_URL"
DEFAULT_URL = "sqlite:///ecom.db"
MIGRATIONS = Path(__file__).parent / "migrations"
BACKENDS = ("sqlite", "postgresql", "postgres")
SQLITE_BUSY_TIMEOUT = 30  # seconds a SQLite connection waits for another writer


def database_url(url: str | None = None) -> str:
    """The URL to use: ``url``, else ``ECOM_DATABASE_URL``, else ``sqlite:///ecom.db``.

    ``postgresql://`` and ``postgres://`` URLs are given the psycopg 3 driver.
    """
    raw = url or os.environ.get(ENV_VAR) or DEFAULT_URL
    try:
        parsed = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            f"{ENV_VAR} is not a database URL (expected e.g. sqlite:///ecom.db or postgresql://user@host/db)."
        ) from None
    if parsed.get_backend_name() not in BACKENDS:
        raise ConfigError(
            f"{ENV_VAR} names a {parsed.get_backend_name()} database: ecom keeps its back office in SQLite "
            "(sqlite:///ecom.db) or PostgreSQL (postgresql://user@host/db)."
        )
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def display_url(url: str) -> str:
    """``url`` fit to print: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None (another database, or SQLite in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_private_file(path: Path) -> None:
    """Create an empty ``path`` readable and writable by its owner only (0600), unless it exists.

    A SQLite database holds customers' names and addresses: created by SQLite itself it would get
    the umask's mode (usually readable by every user). SQLite gives its journal and WAL files the
    database file's mode, so they stay private too.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except (FileExistsError, FileNotFoundError):
        pass  # there already, or no such folder (SQLite's own error says so when it opens it)


def make_engine(url: str | None = None, *, for_migrations: bool = False, pooled: bool = True) -> Engine:
    """An engine for ``url`` (see :func:`database_url`).

    SQLite connections get ``PRAGMA foreign_keys=ON`` and a busy timeout, and every transaction
    starts with ``BEGIN IMMEDIATE``: it takes the write lock at once, so two processes writing one
    database wait for each other (up to the busy timeout) instead of one failing at once with
    "database is locked" when its read turns into a write, which SQLite does not wait for.
    ``for_migrations`` makes SQLite transactions cover DDL too (so a failed upgrade changes
    nothing) and turns foreign keys off while tables are rebuilt, as SQLite requires. ``pooled=False`` closes each
    connection as soon as it is given back, so nothing stays open after the sessions end.
    """
    url = database_url(url)
    backend = make_url(url).get_backend_name()
    options: dict[str, Any] = {} if pooled else {"poolclass": sa.pool.NullPool}
    if backend == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            create_private_file(path)
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT}, **options)
        foreign_keys = "OFF" if for_migrations else "ON"

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we say BEGIN ourselves, below
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA foreign_keys={foreign_keys}")
            cursor.close()

        begin = "BEGIN" if for_migrations else "BEGIN IMMEDIATE"

        @sa.event.listens_for(engine, "begin")
        def _on_begin(connection: sa.Connection) -> None:
            connection.exec_driver_sql(begin)

        return engine
    if backend == "postgresql":
        return sa.create_engine(url, pool_pre_ping=pooled, **options)
    return sa.create_engine(url, **options)


@contextmanager
def session(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back if it raises."""
    with Session(engine, expire_on_commit=False) as db:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise


# --- when the database fails ----------------------------------------------------------------

CONFLICT_STATES = ("40P01", "40001")  # PostgreSQL: deadlock detected, serialization failure


def is_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` is PostgreSQL giving up one of two transactions that wait for each other
    (a deadlock or a serialization failure): the loser's work is undone, and running it again
    is the cure."""
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in CONFLICT_STATES


CONFLICT_ATTEMPTS = 5


def retry_conflicts(
    session: Session, work: Callable[[], T], *, undo: Callable[[], None], lock: str, attempts: int = CONFLICT_ATTEMPTS
) -> T:
    """``work()`` in a savepoint, run again when PostgreSQL gives it up in a conflict (:func:`is_conflict`).

    Rolling back to the savepoint takes back what ``work`` wrote and releases every lock it
    took, so the other transaction goes on; ``undo()`` then forgets what ``work`` kept in memory,
    and after a short random pause it runs again, this time alone: on PostgreSQL every ``work``
    holds the advisory lock named ``lock`` shared, and a run again holds it exclusive, so it waits
    for the others in flight to commit and meets none of them. After ``attempts`` conflicts in a
    row, the last one is raised.
    """
    for attempt in range(1, attempts + 1):
        try:
            with session.connection().begin_nested():
                _advisory_lock(session, lock, exclusive=attempt > 1)
                return work()
        except DBAPIError as exc:
            if not is_conflict(exc) or attempt == attempts:
                raise
        undo()
        time.sleep(random.uniform(0.01, 0.05 * attempt))  # noqa: S311 - a pause, not a secret
    raise AssertionError("unreachable")  # pragma: no cover


def _advisory_lock(session: Session, name: str, *, exclusive: bool) -> None:
    """Take PostgreSQL's transaction-scoped advisory lock ``name`` (nothing on other databases)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    connection.execute(sa.text(f"SELECT {function}(:key)"), {"key": zlib.crc32(name.encode())})


def unavailable(exc: BaseException) -> DatabaseUnavailableError | None:
    """``exc`` in words if it says the database stopped answering, else None.

    A server that is stopped or restarted, a connection cut (a terminated backend), a full disk,
    a SQLite file locked past the busy timeout: the driver's operational and interface errors,
    other than a conflict between two transactions (:func:`is_conflict`).
    """
    if not isinstance(exc, (OperationalError, InterfaceError)) and not (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return None
    if is_conflict(exc):
        return None
    link = exc.__context__  # the first failure, not what failed after it (SQLite rolls back by
    while link is not None:  # itself on a full disk; the savepoint's rollback then fails too)
        if isinstance(link, (OperationalError, InterfaceError)) and not is_conflict(link):
            exc = link
        link = link.__context__
    words = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
    return DatabaseUnavailableError(f"the database stopped answering: {words[0] if words else type(exc.orig).__name__}")


# --- migrations ------------------------------------------------------------------------------


def alembic_config(url: str | None = None, connection: sa.Connection | None = None) -> Config:
    """Alembic's configuration for ecom's migrations, built in code (no ``alembic.ini``)."""
    config = Config(stdout=sys.stdout)  # the current stdout, not the one at import time
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The latest revision this ecom knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "ecom ships at least one migration"
    return head


def known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    """The revision ``engine``'s database is at, or None when it has never been migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(url: str | None = None, revision: str = "head") -> str | None:
    """Migrate the database at ``url`` to ``revision`` (the latest by default), in one transaction.

    Returns the revision the database is at afterwards. A SQLite file is created if missing.
    """
    url = database_url(url)
    engine = make_engine(url, for_migrations=True)
    try:
        with engine.begin() as connection:  # every step in one transaction: all or nothing
            command.upgrade(alembic_config(url, connection), revision)
        return current_revision(engine)
    except DBAPIError as exc:
        raise ConfigError(f"Cannot migrate the database {display_url(url)}: {exc.orig}") from exc
    finally:
        engine.dispose()


@dataclass(frozen=True)
class InitReport:
    """What ``ecom init`` did: the database, its revision before (None = new) and after."""

    url: str
    before: str | None
    after: str | None
    tightened: int | None = None  # the SQLite file's mode before ``init`` made it owner-only

    @property
    def changed(self) -> bool:
        return self.before != self.after


def init(url: str | None = None) -> InitReport:
    """Create the database, or upgrade it to the latest revision; never loses data (``ecom init``)."""
    url = database_url(url)
    path = sqlite_path(url)
    if path is not None and not path.parent.is_dir():
        raise ConfigError(f"Cannot create the database {path}: the folder {path.parent} does not exist.")
    before = None
    if path is None or path.exists():
        engine = make_engine(url)
        try:
            before = current_revision(engine)
        except DBAPIError as exc:  # not reachable, or (SQLite) a file that is not a database
            raise ConfigError(f"Cannot open the database {display_url(url)}: {exc.orig}") from exc
        finally:
            engine.dispose()
        _refuse_unknown(url, before)
    tightened = make_private(path) if path is not None and path.exists() else None
    return InitReport(url=url, before=before, after=upgrade(url), tightened=tightened)


def make_private(path: Path) -> int | None:
    """Make an existing SQLite database (and its journal files) owner-only, if others can read it.

    Databases made before ecom created them 0600 have the umask's mode. Returns the mode it had,
    or None when nothing changed (already private, not ours to change, or not a POSIX system).
    """
    if os.name != "posix" or path.stat().st_uid != os.getuid():
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o077:
        return None
    for each in (path, *(path.with_name(path.name + tail) for tail in ("-journal", "-wal", "-shm"))):
        if each.exists():
            each.chmod(0o600)
    return mode


def open_engine(url: str | None = None, *, pooled: bool = False) -> Engine:
    """An engine for an existing database at the latest revision, or a ConfigError saying why not.

    Unpooled by default, as commands want: a connection closes when its session ends, so an
    engine that is never disposed holds nothing open. A long-running process (the worker) may
    ask for ``pooled=True`` and dispose of the engine when it stops.
    """
    url = database_url(url)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise ConfigError(f"No ecom database at {path}: run `ecom init` to create it (or set {ENV_VAR}).")
    engine = make_engine(url, pooled=pooled)
    try:
        revision = current_revision(engine)
    except DBAPIError as exc:  # not reachable, or (SQLite) a file that is not a database
        engine.dispose()
        raise ConfigError(f"Cannot open the database {display_url(url)}: {exc.orig}") from exc
    if revision != head_revision():
        engine.dispose()
        _refuse_unknown(url, revision)
        if revision is None:
            raise ConfigError(f"The database {display_url(url)} is not initialised: run `ecom init`.")
        raise ConfigError(
            f"The database {display_url(url)} is at revision {revision}, ecom needs {head_revision()}: "
            "run `ecom init` to upgrade it."
        )
    return engine


def _refuse_unknown(url: str, revision: str | None) -> None:
    if revision is not None and revision not in known_revisions():
        raise ConfigError(
            f"The database {display_url(url)} is at revision {revision}, which this ecom does not know "
            "(it was made by a newer ecom): upgrade ecom."
        )


def main(argv: list[str] | None = None) -> None:
    """``python -m ecom.db ARGS``: Alembic's command line on ecom's migrations and database."""
    cli = CommandLine(prog="python -m ecom.db")
    options = cli.parser.parse_args(argv)
    if not hasattr(options, "cmd"):
        cli.parser.error("too few arguments")
    config = alembic_config()
    config.cmd_opts = options
    cli.run_cmd(config, options)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
