"""Many rows in a few statements: the import's inserts, on SQLite and PostgreSQL.

:func:`insert_many` writes rows that share their keys, in one statement or a few, and returns the
columns asked for of the rows inserted. PostgreSQL gets ``INSERT … SELECT unnest(:column), …``
(one array per column, sent in binary: the statement's text never changes, so it is parsed and
planned once).
SQLite gets plain driver SQL: an ``executemany``, or a multi-row ``VALUES … RETURNING`` when ids
are wanted. Each column's value goes through its own type's conversion (exact decimals as text,
UTC datetimes, enums as their values, JSON) and a column left out takes its Python default, as a
SQLAlchemy insert would do it; SQLAlchemy's own per-row work for an executemany (building every
row's parameters as a dict, then again as a tuple) was a fifth of an import's time on SQLite
(``bench/import_throughput.py``).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ecom.models.columns import ExactDecimal

#: SQLite's limit on a statement's parameters (SQLITE_MAX_VARIABLE_NUMBER, 32,766 since 3.32)
SQLITE_MAX_PARAMETERS = 32_766
#: rows in one multi-row ``VALUES`` at most
SQLITE_MAX_ROWS = 1_000


def insert_many(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], *returning: str) -> list[Any]:
    """Insert ``rows`` (every row with the same keys); the ``returning`` columns of the rows
    inserted, when asked (in no particular order: match them on a unique key).

    A row the database refuses raises as SQLAlchemy would (``sqlalchemy.exc.IntegrityError``...),
    and a value its column cannot take as the column's type does (a float for money: TypeError);
    rows already sent by this call (more than one statement's worth) are the caller's savepoint's
    to take back.
    """
    if not rows:
        return []
    plan = _Plan.of(table, tuple(rows[0]), connection.dialect)
    values = plan.values(rows)
    if connection.dialect.name == "postgresql":
        arrays = dict(zip(plan.columns, map(list, zip(*values, strict=True)), strict=True))
        result = connection.exec_driver_sql(plan.unnest(returning), arrays)
        return result.all() if returning else []
    if not returning:
        connection.exec_driver_sql(plan.values_sql(1), values)
        return []
    found: list[Any] = []
    size = max(1, min(SQLITE_MAX_ROWS, SQLITE_MAX_PARAMETERS // len(plan.columns)))
    for start in range(0, len(values), size):
        chunk = values[start : start + size]
        flat = tuple(itertools.chain.from_iterable(chunk))
        found += connection.exec_driver_sql(plan.values_sql(len(chunk), returning), flat).all()
    return found


def new_ids(connection: sa.Connection, table: sa.Table, count: int) -> list[int]:
    """Ids for ``count`` new rows of ``table`` (its integer ``id`` key), taken before they are
    inserted, so rows can be written whole at once (a number made from the id, say) instead of
    inserted and then updated.

    PostgreSQL: the next values of the column's sequence. SQLite: the ids after the largest one,
    which is what SQLite itself gives a new row of a table without AUTOINCREMENT; safe because
    ecom's SQLite transactions hold the write lock from their start (``BEGIN IMMEDIATE``).
    """
    if count <= 0:
        return []
    if connection.dialect.name == "postgresql":
        sequence = sa.func.pg_get_serial_sequence(table.name, "id")
        found = connection.execute(sa.select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, count)))
        return list(found.scalars())
    top = connection.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
    return list(range(top + 1, top + count + 1))


class _Plan:
    """How rows with these keys become one table's INSERT and its parameters: the columns left
    out that have a Python default, each column's conversion, the statement's text. Made once per
    table, set of keys and dialect."""

    @staticmethod
    @functools.cache
    def of(table: sa.Table, given: tuple[str, ...], dialect: sa.Dialect) -> _Plan:
        return _Plan(table, given, dialect)

    def __init__(self, table: sa.Table, given: tuple[str, ...], dialect: sa.Dialect) -> None:
        self.table, self.given, self.dialect = table, given, dialect
        defaulted = [c for c in table.c if c.name not in given and c.default is not None]
        self.defaults: list[Callable[[], Any]] = [_default(c.default) for c in defaulted]  # type: ignore[arg-type]
        self.columns = (*given, *(c.name for c in defaulted))
        self.converters = [
            (position, converter) for position, name in enumerate(self.columns) if (converter := _converter(table.c[name].type, dialect))
        ]
        self._sql: dict[tuple[int, tuple[str, ...]], str] = {}

    def values(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        given, defaults, converters = self.given, self.defaults, self.converters
        out = []
        for row in rows:
            values = [row[name] for name in given]
            values += [default() for default in defaults]
            for position, convert in converters:
                values[position] = convert(values[position])
            out.append(tuple(values))
        return out

    def values_sql(self, rows: int, returning: tuple[str, ...] = ()) -> str:
        """SQLite's INSERT of ``rows`` rows (an executemany's when 1), ``RETURNING`` these columns."""
        key = (rows, returning)
        if key not in self._sql:
            quote = self.dialect.identifier_preparer
            text = f"INSERT INTO {quote.format_table(self.table)} ({', '.join(map(quote.quote, self.columns))}) VALUES "
            text += ", ".join(["(" + ", ".join("?" for _ in self.columns) + ")"] * rows)
            self._sql[key] = text + (f" RETURNING {', '.join(map(quote.quote, returning))}" if returning else "")
        return self._sql[key]

    def unnest(self, returning: tuple[str, ...] = ()) -> str:
        """PostgreSQL's ``INSERT INTO table (columns) SELECT unnest(%(column)b::type[]), ...``: any
        number of rows given one array per column (an executemany would be one INSERT per row, and
        a multi-row VALUES a new statement for every number of rows). The arrays go in binary
        (``%(…)b``): psycopg's text arrays quote and escape every value, which took a third of an
        import's time on PostgreSQL."""
        key = (0, returning)
        if key not in self._sql:
            table = self.table
            arrays = (sa.func.unnest(sa.bindparam(c, type_=postgresql.ARRAY(table.c[c].type))) for c in self.columns)
            statement = table.insert().from_select(list(self.columns), sa.select(*arrays))
            if returning:
                statement = statement.returning(*(table.c[c] for c in returning))
            text = str(statement.compile(dialect=self.dialect))
            self._sql[key] = re.sub(r"%\((\w+)\)s", r"%(\1)b", text)
        return self._sql[key]


def _converter(type_: sa.types.TypeEngine[Any], dialect: sa.Dialect) -> Callable[[Any], Any] | None:
    """What the database is given for a value of ``type_``: SQLAlchemy's conversion, or on SQLite
    for an exact decimal (the most common value of an order) its own plain function,
    :meth:`ExactDecimal.sqlite_text`."""
    if isinstance(type_, ExactDecimal) and dialect.name == "sqlite":
        return ExactDecimal.sqlite_text
    return type_.dialect_impl(dialect).bind_processor(dialect)


def _default(default: sa.ColumnDefault) -> Callable[[], Any]:
    """A column's Python default, as a function of nothing (SQLAlchemy's take an execution context)."""
    if default.is_callable:
        function = default.arg  # wrapped by SQLAlchemy to take the context, which ours ignore
        return lambda: function(None)  # type: ignore[operator]
    if default.is_scalar:
        value = default.arg
        return lambda: value
    raise TypeError(f"a column default of {type(default).__name__} is not supported here")
