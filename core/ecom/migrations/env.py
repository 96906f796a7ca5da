"""Alembic's environment for ecom: the target schema is :mod:`ecom.models`.

Run through :func:`ecom.db.upgrade` (which hands over a connection inside one transaction) or
``python -m ecom.db``. On SQLite, tables are altered in batch mode (copy and move), with foreign
keys off while that happens and checked before the transaction commits.
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import context
from sqlmodel import SQLModel

import ecom.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from ecom import db

config = context.config
target_metadata = SQLModel.metadata

# Batch mode reflects tables, and SQLite cannot reflect expression indexes (customers' lower(email)
# ...). They are created and kept by the migrations themselves: nothing for an admin to act on.
warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index", category=sa.exc.SAWarning)


def run_migrations(connection: sa.Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    if is_sqlite:
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"The migration left rows pointing at missing rows (table, rowid, parent): {broken[:10]}")


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
elif config.attributes.get("connection") is not None:
    run_migrations(config.attributes["connection"])
else:
    engine = db.make_engine(config.get_main_option("sqlalchemy.url"), for_migrations=True)
    try:
        with engine.begin() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()
