"""The column types and field helpers every table uses: exact decimals, UTC datetimes, money,
timestamps and links, and the constraint naming convention the migrations refer to."""

__all__ = [
    "JSONDict", "MAX_DIGITS", "MAX_PLACES", "ZERO", "ExactDecimal", "UTCDateTime", "enum_column", "link", "money", "number_problem",
    "timestamp", "utcnow",
]

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.mutable import MutableDict
from sqlmodel import Field, SQLModel

ZERO = Decimal("0")

# Constraint names are part of the schema: migrations refer to them, SQLite batch mode needs them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Now, timezone-aware, in UTC."""
    return dt.datetime.now(dt.timezone.utc)


class ExactDecimal(sa.types.TypeDecorator[Decimal]):
    """A Decimal kept exactly: NUMERIC on PostgreSQL, the number's text on SQLite.

    SQLite has no decimal type (it would round through a float), so the text is stored there; as a
    consequence, compare and sum money in Python, not in SQL, when the database may be SQLite.
    A float is refused: money is never a float.
    """

    impl = sa.Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String())
        return dialect.type_descriptor(sa.Numeric(asdecimal=True))

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        return self.sqlite_text(value) if dialect.name == "sqlite" else _exact(value)

    @staticmethod
    def sqlite_text(value: Any) -> str | None:
        """The text SQLite keeps for ``value`` (a plain function: ``ecom.jobs.bulk`` calls it for
        every value of a batch, without SQLAlchemy's layers around it)."""
        if type(value) is Decimal and value.is_finite():  # the usual case first
            return str(value)
        number = _exact(value)
        return None if number is None else str(number)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


def _exact(value: Any) -> Decimal | None:
    """``value`` as a finite Decimal to store; a float or a NaN/infinity is refused."""
    if value is None:
        return None
    if isinstance(value, float):
        raise TypeError(f"A money, rate or quantity value must be a Decimal, not the float {value!r}.")
    number = value if isinstance(value, Decimal) else Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{number} cannot be stored: only finite numbers can.")
    return number


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timezone-aware datetime, stored in UTC; a naive datetime is refused.

    PostgreSQL keeps it as ``timestamp with time zone``; SQLite as UTC text, read back as UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"The datetime {value.isoformat()} has no timezone: ecom stores timezone-aware datetimes only.")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


JSONDict = MutableDict.as_mutable(sa.JSON())  # top-level key changes are noticed and saved


def enum_column(enum_class: type[enum.Enum]) -> sa.Enum:
    """An enum stored as its value in a VARCHAR(32): adding a member needs no schema change."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


MAX_DIGITS = 12  # before the decimal point: below one trillion
MAX_PLACES = 12  # after it


def number_problem(value: Decimal | int) -> str | None:
    """Why ``value`` does not fit a money, rate or quantity column, in words, or None when it does.

    The columns are NUMERIC on PostgreSQL and text on SQLite; what bounds them is the arithmetic
    done on them (Python's decimal context keeps 28 significant digits, and a quantity times a
    price must still round to the cent): at most :data:`MAX_DIGITS` digits before the decimal
    point and :data:`MAX_PLACES` after it.
    """
    number = value if isinstance(value, Decimal) else Decimal(value)
    if not number.is_finite():
        return "is not a number"
    if number and number.adjusted() >= MAX_DIGITS:
        return f"is too large: a number has at most {MAX_DIGITS} digits before the decimal point"
    if number and -number.normalize().as_tuple().exponent > MAX_PLACES:  # type: ignore[operator]  # trailing zeros do not count
        return f"has more than {MAX_PLACES} digits after the decimal point"
    return None


def money(default: Decimal | None = ZERO, **kwargs: Any) -> Any:
    """A Decimal column (money, rate or quantity)."""
    return Field(default=default, sa_type=ExactDecimal, **kwargs)


def timestamp(*, default_now: bool = False, on_update: bool = False, **kwargs: Any) -> Any:
    """A timezone-aware datetime column, optionally set to now on insert and on update."""
    if on_update:
        kwargs["sa_column_kwargs"] = {"onupdate": utcnow}
    if default_now:
        return Field(default_factory=utcnow, sa_type=UTCDateTime, **kwargs)
    return Field(default=None, sa_type=UTCDateTime, **kwargs)


def link(target: str, *, optional: bool = False, ondelete: str | None = None, index: bool = False) -> Any:
    """A foreign key to ``target`` ("table.id"); ``optional`` ones default to None."""
    kwargs: dict[str, Any] = {"default": None} if optional else {}
    if ondelete:
        kwargs["ondelete"] = ondelete
    return Field(foreign_key=target, index=index, **kwargs)
