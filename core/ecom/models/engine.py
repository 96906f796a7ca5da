"""What the sync engine records about the back office: each connected cart (:class:`Integration`,
its mapping grids), the bindings between cart ids and local rows (:class:`ExternalRef`), the sync
jobs with their events, and the engine's own settings and users."""

import datetime as dt
import enum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ecom.models.columns import JSONDict, UTCDateTime, enum_column, link, timestamp, utcnow

class JobTrigger(str, enum.Enum):
    """Who asked for a sync job."""

    MANUAL = "manual"
    SCHEDULE = "schedule"


class JobStatus(str, enum.Enum):
    """Where a sync job is. ``queued`` and ``running`` are unfinished: one at most per integration."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    SUCCEEDED_WITH_ERRORS = "succeeded_with_errors"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self not in (JobStatus.QUEUED, JobStatus.RUNNING)


class EventLevel(str, enum.Enum):
    """How serious a job event is: errors and warnings are reported apart."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# --- engine: integrations and their grids ----------------------------------------------------


class Integration(SQLModel, table=True):
    """One connected cart: its driver kind, the four connection fields and its settings.

    ``password_encrypted`` holds the password encrypted, never in plain text. ``settings`` holds
    the scalar options (preferences, defaults, schedule); the grids are tables of their own.
    """

    __tablename__: ClassVar[str] = "integrations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    cart_kind: str
    active: bool = True
    website_name: str = ""
    api_url: str = ""
    username: str = ""
    password_encrypted: str | None = Field(default=None, sa_type=sa.Text)
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDict)
    created_at: dt.datetime = timestamp(default_now=True)
    updated_at: dt.datetime = timestamp(default_now=True, on_update=True)


class IntegrationTaxState(SQLModel, table=True):
    """Sales tax grid row: taxable customers in ``state`` get this item sales tax."""

    __tablename__: ClassVar[str] = "integration_tax_states"
    __table_args__ = (sa.UniqueConstraint("integration_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = link("integrations.id", ondelete="CASCADE")
    state: str
    item_sales_tax_id: int = link("item_sales_taxes.id", ondelete="CASCADE")


class IntegrationShipMethod(SQLModel, table=True):
    """Ship method grid row: the cart's method text (and carrier; "" = any) ↔ a ship method."""

    __tablename__: ClassVar[str] = "integration_ship_methods"
    __table_args__ = (
        sa.UniqueConstraint("integration_id", "cart_method", "cart_carrier", name="uq_integration_ship_methods_cart_method"),
    )

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = link("integrations.id", ondelete="CASCADE")
    ship_method_id: int = link("ship_methods.id", ondelete="CASCADE")
    cart_method: str
    cart_carrier: str = ""


class IntegrationPaymentMethod(SQLModel, table=True):
    """Payment grid row: the cart's payment method text ↔ a payment method and term."""

    __tablename__: ClassVar[str] = "integration_payment_methods"
    __table_args__ = (sa.UniqueConstraint("integration_id", "cart_method"),)

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = link("integrations.id", ondelete="CASCADE")
    cart_method: str
    payment_method_id: int = link("payment_methods.id", ondelete="CASCADE")
    term_id: int | None = link("terms.id", optional=True, ondelete="SET NULL")


class IntegrationDiscount(SQLModel, table=True):
    """Discount grid row: a cart discount code ↔ a discount."""

    __tablename__: ClassVar[str] = "integration_discounts"
    __table_args__ = (sa.UniqueConstraint("integration_id", "cart_code"),)

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = link("integrations.id", ondelete="CASCADE")
    cart_code: str
    discount_id: int = link("discounts.id", ondelete="CASCADE")


class IntegrationLocation(SQLModel, table=True):
    """A location the integration's inventory push counts (none selected = all)."""

    __tablename__: ClassVar[str] = "integration_locations"
    __table_args__ = (sa.UniqueConstraint("integration_id", "location_id"),)

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = link("integrations.id", ondelete="CASCADE")
    location_id: int = link("locations.id", ondelete="CASCADE")


# --- engine: bindings, jobs, events ----------------------------------------------------------


class ExternalRef(SQLModel, table=True):
    """A binding: the cart's id for something (``kind``: order, customer, product, ...) ↔ a local row.

    The database allows one binding per (integration, kind, external id): that is what makes
    imports idempotent. ``data`` keeps what the engine needs next time (e.g. the last quantity
    pushed, a payload digest).
    """

    __tablename__: ClassVar[str] = "external_refs"
    __table_args__ = (
        sa.UniqueConstraint("integration_id", "kind", "external_id"),
        sa.Index(None, "integration_id", "kind", "local_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = link("integrations.id", ondelete="CASCADE")
    kind: str
    external_id: str
    local_id: int | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDict)
    updated_at: dt.datetime = timestamp(default_now=True, on_update=True)


class InventoryPush(SQLModel, table=True):
    """The quantity an integration last pushed for an item to one cart location, as the cart took it.

    Inventory pushes send only quantities that differ from this (delta push). ``cart_location``
    is the cart's location id, or "" for the cart's default location. A row is written only when
    the cart accepted the quantity, and removed when the cart refused one, so that item is sent
    again next time.
    """

    __tablename__: ClassVar[str] = "inventory_pushes"
    __table_args__ = (sa.UniqueConstraint("integration_id", "item_id", "cart_location"),)

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = link("integrations.id", ondelete="CASCADE")
    item_id: int = link("items.id", ondelete="CASCADE", index=True)
    cart_location: str = ""
    quantity: int
    pushed_at: dt.datetime = timestamp(default_now=True)


UNFINISHED_JOB = sa.text("status IN ('queued', 'running')")


class Job(SQLModel, table=True):
    """A sync job of one integration. At most one queued or running job per integration exists.

    ``heartbeat_at`` is touched by the worker running the job, so a crashed one can be told
    from a slow one; ``counts`` holds the tallies per phase.
    """

    __tablename__: ClassVar[str] = "jobs"
    __table_args__ = (
        sa.Index(
            "uq_jobs_one_unfinished_per_integration",
            "integration_id",
            unique=True,
            sqlite_where=UNFINISHED_JOB,
            postgresql_where=UNFINISHED_JOB,
        ),
        sa.Index(None, "integration_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = link("integrations.id", ondelete="CASCADE")
    trigger: JobTrigger = Field(default=JobTrigger.MANUAL, sa_type=enum_column(JobTrigger))
    status: JobStatus = Field(default=JobStatus.QUEUED, sa_type=enum_column(JobStatus), index=True)
    created_at: dt.datetime = timestamp(default_now=True)
    started_at: dt.datetime | None = timestamp()
    finished_at: dt.datetime | None = timestamp()
    heartbeat_at: dt.datetime | None = timestamp()
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDict)
    worker: str | None = None
    options: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDict)  # phases, full, retry_of


class JobEvent(SQLModel, table=True):
    """Something a job wants the admin to know: an error or warning on one record, or a note."""

    __tablename__: ClassVar[str] = "job_events"

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = link("jobs.id", ondelete="CASCADE", index=True)
    level: EventLevel = Field(default=EventLevel.ERROR, sa_type=enum_column(EventLevel))
    phase: str | None = None
    record_ref: str | None = None
    rule: str | None = None
    message: str = Field(sa_type=sa.Text)
    created_at: dt.datetime = timestamp(default_now=True)
    payload: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)  # the record, for `jobs retry`


class SyncState(SQLModel, table=True):
    """What an integration's jobs remember between runs: watermarks, the last scheduled run.

    ``key`` names the memory (``orders``, ``products``, ``schedule``); ``value`` is a timezone-aware
    datetime. A watermark moves only past records that were stored.
    """

    __tablename__: ClassVar[str] = "sync_state"
    __table_args__ = (sa.UniqueConstraint("integration_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = link("integrations.id", ondelete="CASCADE")
    key: str
    value: dt.datetime | None = timestamp()
    updated_at: dt.datetime = timestamp(default_now=True, on_update=True)


class FailedOrder(SQLModel, table=True):
    """A cart order the import could not store, kept aside so the watermark can move past it.

    ``external_id`` is the cart's id, ``payload`` the copy of the order the job kept (a
    :class:`~ecom.records.CartOrder` as JSON) and ``error`` why it failed last. Each sync asks the
    cart for these orders again by id; the row goes when one imports. ``dismissed_at`` is set by
    ``ecom orders dismiss``: the order is no longer tried, until the cart changes it (a newer
    ``cart_updated_at``).
    """

    __tablename__: ClassVar[str] = "failed_orders"
    __table_args__ = (sa.UniqueConstraint("integration_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = link("integrations.id", ondelete="CASCADE")
    external_id: str
    number: str
    cart_updated_at: dt.datetime = Field(sa_type=UTCDateTime)
    error: str = Field(sa_type=sa.Text)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    job_id: int | None = link("jobs.id", optional=True, ondelete="SET NULL")
    attempts: int = 1
    first_failed_at: dt.datetime = timestamp(default_now=True)
    last_failed_at: dt.datetime = timestamp(default_now=True)
    dismissed_at: dt.datetime | None = timestamp()


class MailSettings(SQLModel, table=True):
    """How ecom sends the end-of-job email: one row, set with ``ecom mail set``.

    The password is encrypted like the carts' (:mod:`ecom.secrets`), never kept in plain text.
    """

    __tablename__: ClassVar[str] = "mail_settings"

    id: int | None = Field(default=None, primary_key=True)
    host: str
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    username: str | None = None
    password_encrypted: str | None = Field(default=None, sa_type=sa.Text)
    from_address: str
    updated_at: dt.datetime = timestamp(default_now=True, on_update=True)


class User(SQLModel, table=True):
    """Someone who may log in to the web admin (``ecom serve``): set with ``ecom users``.

    Only an argon2 hash of the password is kept (:mod:`ecom.users`), never the password.
    """

    __tablename__: ClassVar[str] = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True)
    password_hash: str = Field(sa_type=sa.Text)
    created_at: dt.datetime = timestamp(default_now=True)
    updated_at: dt.datetime = timestamp(default_now=True, on_update=True)
