"""The database tables: the back office ecom keeps, and what the sync engine records about it.

These are SQLModel *table* models and nothing else: the canonical cart records drivers speak are
plain data models in :mod:`ecom.records`, and nothing inherits from a table here. The back office
holds the lists a merchant imports by CSV (items, stock, bills of materials, customers, ship
methods, terms, ...) and the sales orders and ship docs that web orders become; the engine tables
hold each connected cart (:class:`Integration`, its mapping grids), the bindings between cart ids
and local rows (:class:`ExternalRef`) and the sync jobs with their events. Money, rates and
quantities are :class:`~decimal.Decimal` (kept exact on SQLite as text); datetimes are
timezone-aware UTC. Uniqueness the rules depend on is declared here, so the database enforces it:
one binding per (integration, kind, external id) and at most one unfinished job per integration.
The schema changes only through a migration in ``ecom/migrations/versions``.
"""

import datetime as dt
import enum
from decimal import Decimal
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.ext.mutable import MutableDict
from sqlmodel import Field, Relationship, SQLModel

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
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError(f"A money, rate or quantity value must be a Decimal, not the float {value!r}.")
        number = value if isinstance(value, Decimal) else Decimal(value)
        if not number.is_finite():
            raise ValueError(f"{number} cannot be stored: only finite numbers can.")
        return str(number) if dialect.name == "sqlite" else number

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


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


# --- enums -----------------------------------------------------------------------------------


class ItemType(str, enum.Enum):
    """What an item is, which decides how stock and transactions treat it."""

    INVENTORY = "inventory"
    ASSEMBLY = "assembly"  # built from components (bill of materials) ahead of sale
    KIT = "kit"  # components picked together at sale
    NON_INVENTORY = "non_inventory"
    SERVICE = "service"
    OTHER_CHARGE = "other_charge"  # freight, handling: a ship method's freight item
    DISCOUNT = "discount"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def has_components(self) -> bool:
        """Assemblies and kits have a bill of materials."""
        return self in (ItemType.ASSEMBLY, ItemType.KIT)


class TermType(str, enum.Enum):
    """How a term is paid. ``accounts_receivable`` means billed later: no payment on the order."""

    CASH = "cash"
    CREDIT_CARD = "credit_card"
    CHECK = "check"
    ACCOUNTS_RECEIVABLE = "accounts_receivable"

    @property
    def records_payment(self) -> bool:
        """Whether an order on this term gets a payment record when imported."""
        return self is not TermType.ACCOUNTS_RECEIVABLE


class TransactionType(str, enum.Enum):
    """The kind of back-office transaction a web order becomes."""

    SALES_ORDER = "sales_order"
    SHIP_DOC = "ship_doc"


class LineKind(str, enum.Enum):
    """What a transaction line carries."""

    ITEM = "item"
    FREIGHT = "freight"
    DISCOUNT = "discount"
    FEE = "fee"


class CustomFieldTarget(str, enum.Enum):
    """Which records a custom field applies to."""

    TRANSACTION = "transaction"
    CUSTOMER = "customer"
    ITEM = "item"


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


# --- back office: simple lists ---------------------------------------------------------------


class ItemGroup(SQLModel, table=True):
    """A group of items (e.g. "Widgets"); Import Products puts new items in a chosen one."""

    __tablename__: ClassVar[str] = "item_groups"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


class Location(SQLModel, table=True):
    """A place stock is kept (warehouse, store)."""

    __tablename__: ClassVar[str] = "locations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


class TransactionClass(SQLModel, table=True):
    """An accounting class a transaction can be tagged with."""

    __tablename__: ClassVar[str] = "classes"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


class SalesRep(SQLModel, table=True):
    """A sales representative customers can be assigned to."""

    __tablename__: ClassVar[str] = "sales_reps"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    email: str | None = None


class CustomerType(SQLModel, table=True):
    """A category of customers (e.g. "Retail", "Web")."""

    __tablename__: ClassVar[str] = "customer_types"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


class SalesTaxCode(SQLModel, table=True):
    """Whether a customer or line is taxed at all (e.g. "Tax", "Non")."""

    __tablename__: ClassVar[str] = "sales_tax_codes"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    taxable: bool = True


class ItemSalesTax(SQLModel, table=True):
    """A sales tax rate, as a fraction (0.08875 is 8.875 %)."""

    __tablename__: ClassVar[str] = "item_sales_taxes"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    rate: Decimal = money()


class PaymentMethod(SQLModel, table=True):
    """How a customer pays (e.g. "Credit Card", "PayPal")."""

    __tablename__: ClassVar[str] = "payment_methods"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


class Term(SQLModel, table=True):
    """Payment terms; the type decides whether an imported order records a payment."""

    __tablename__: ClassVar[str] = "terms"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    term_type: TermType = Field(default=TermType.ACCOUNTS_RECEIVABLE, sa_type=enum_column(TermType))


class CustomField(SQLModel, table=True):
    """A merchant-defined field, e.g. where the web order number is copied to."""

    __tablename__: ClassVar[str] = "custom_fields"
    __table_args__ = (sa.UniqueConstraint("name", "applies_to"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str
    applies_to: CustomFieldTarget = Field(default=CustomFieldTarget.TRANSACTION, sa_type=enum_column(CustomFieldTarget))


# --- back office: items and stock ------------------------------------------------------------


class Item(SQLModel, table=True):
    """Something sold or charged, identified by its SKU in ecom and in every cart."""

    __tablename__: ClassVar[str] = "items"

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(unique=True)
    name: str
    description: str | None = None
    group_id: int | None = link("item_groups.id", optional=True, ondelete="SET NULL", index=True)
    type: ItemType = Field(default=ItemType.INVENTORY, sa_type=enum_column(ItemType))
    price: Decimal = money()
    weight: Decimal | None = money(default=None)
    taxable: bool = True
    active: bool = True


class Stock(SQLModel, table=True):
    """How much of an item a location holds, and how much of that is promised to orders."""

    __tablename__: ClassVar[str] = "stock"
    __table_args__ = (sa.UniqueConstraint("item_id", "location_id"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = link("items.id", ondelete="CASCADE")
    location_id: int = link("locations.id", ondelete="CASCADE", index=True)
    on_hand: Decimal = money()
    committed: Decimal = money()

    @property
    def available(self) -> Decimal:
        """On hand less committed (may be negative; the inventory push clamps its total at 0)."""
        return self.on_hand - self.committed


class BomLine(SQLModel, table=True):
    """One component of an assembly or kit; a component may itself be an assembly."""

    __tablename__: ClassVar[str] = "bom_lines"
    __table_args__ = (sa.UniqueConstraint("assembly_id", "component_id"),)

    id: int | None = Field(default=None, primary_key=True)
    assembly_id: int = link("items.id", ondelete="CASCADE")
    component_id: int = link("items.id", ondelete="CASCADE", index=True)
    quantity: Decimal = money(default=Decimal("1"))  # of the component per one assembly


class PurchaseOrderLine(SQLModel, table=True):
    """An item ordered from a vendor for a location; what is not received yet is on order."""

    __tablename__: ClassVar[str] = "purchase_order_lines"
    __table_args__ = (sa.UniqueConstraint("po_number", "item_id", "location_id"),)

    id: int | None = Field(default=None, primary_key=True)
    po_number: str
    item_id: int = link("items.id", ondelete="CASCADE", index=True)
    location_id: int = link("locations.id", ondelete="CASCADE", index=True)
    ordered: Decimal = money()
    received: Decimal = money()

    @property
    def open_quantity(self) -> Decimal:
        """Ordered and not yet received (never negative)."""
        return max(self.ordered - self.received, ZERO)


class ItemVendor(SQLModel, table=True):
    """A quantity of an item a vendor holds for the merchant (drop-ship stock)."""

    __tablename__: ClassVar[str] = "item_vendors"
    __table_args__ = (sa.UniqueConstraint("item_id", "vendor"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = link("items.id", ondelete="CASCADE")
    vendor: str
    quantity: Decimal = money()


# --- back office: customers and the lists orders point at ------------------------------------


class Customer(SQLModel, table=True):
    """A customer of the back office, shared by every cart (cart ids live in :class:`ExternalRef`)."""

    __tablename__: ClassVar[str] = "customers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    email: str | None = Field(default=None, index=True)
    company: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    customer_type_id: int | None = link("customer_types.id", optional=True, ondelete="SET NULL")
    sales_rep_id: int | None = link("sales_reps.id", optional=True, ondelete="SET NULL")
    sales_tax_code_id: int | None = link("sales_tax_codes.id", optional=True, ondelete="SET NULL")
    item_sales_tax_id: int | None = link("item_sales_taxes.id", optional=True, ondelete="SET NULL")
    taxable: bool = True

    ship_tos: list["ShipTo"] = Relationship(back_populates="customer", cascade_delete=True)


# Customer matching compares case-insensitively; these keep it an index lookup, not a table scan.
sa.Index("ix_customers_lower_email", sa.func.lower(Customer.__table__.c.email))  # type: ignore[attr-defined]
sa.Index("ix_customers_lower_company", sa.func.lower(sa.func.trim(Customer.__table__.c.company)))  # type: ignore[attr-defined]
sa.Index("ix_customers_lower_name", sa.func.lower(Customer.__table__.c.name))  # type: ignore[attr-defined]


class ShipTo(SQLModel, table=True):
    """A named shipping address of a customer."""

    __tablename__: ClassVar[str] = "ship_tos"
    __table_args__ = (sa.UniqueConstraint("customer_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = link("customers.id", ondelete="CASCADE")
    name: str
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    phone: str | None = None

    customer: Customer | None = Relationship(back_populates="ship_tos")


class ShipMethod(SQLModel, table=True):
    """A way to ship; freight on an order's header needs its *other charge* item."""

    __tablename__: ClassVar[str] = "ship_methods"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    carrier: str | None = None
    other_charge_item_id: int | None = link("items.id", optional=True, ondelete="SET NULL")


class Discount(SQLModel, table=True):
    """A discount orders can carry, posted through its discount-type item."""

    __tablename__: ClassVar[str] = "discounts"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    item_id: int | None = link("items.id", optional=True, ondelete="SET NULL")
    description: str | None = None


# --- back office: transactions ---------------------------------------------------------------


class Transaction(SQLModel, table=True):
    """A sales order or ship doc, with the addresses as they were on the order.

    Amounts: ``subtotal`` is the sum of the lines (items, discounts, fees, and freight when it is
    a line); ``total = subtotal + freight + tax``. ``integration_id`` is set when a web order
    made it; ``web_order_number`` is the number the cart shows.
    """

    __tablename__: ClassVar[str] = "transactions"

    id: int | None = Field(default=None, primary_key=True)
    type: TransactionType = Field(default=TransactionType.SALES_ORDER, sa_type=enum_column(TransactionType))
    number: str = Field(unique=True)
    date: dt.date
    customer_id: int = link("customers.id", index=True)
    ship_to_id: int | None = link("ship_tos.id", optional=True, ondelete="SET NULL")
    # With proxy customers set but not used on orders, the proxy the order is accounted to.
    accounting_customer_id: int | None = link("customers.id", optional=True, ondelete="SET NULL")
    status: str = "open"
    hold: bool = False
    web_order_number: str | None = Field(default=None, index=True)
    integration_id: int | None = link("integrations.id", optional=True, ondelete="SET NULL", index=True)
    location_id: int | None = link("locations.id", optional=True, ondelete="SET NULL")
    class_id: int | None = link("classes.id", optional=True, ondelete="SET NULL")
    ship_method_id: int | None = link("ship_methods.id", optional=True, ondelete="SET NULL")
    sales_tax_code_id: int | None = link("sales_tax_codes.id", optional=True, ondelete="SET NULL")
    item_sales_tax_id: int | None = link("item_sales_taxes.id", optional=True, ondelete="SET NULL")
    # The item sales tax on the freight amount (Freight box); freight as a line carries its own.
    freight_item_sales_tax_id: int | None = link("item_sales_taxes.id", optional=True, ondelete="SET NULL")

    bill_name: str | None = None
    bill_company: str | None = None
    bill_line1: str | None = None
    bill_line2: str | None = None
    bill_city: str | None = None
    bill_state: str | None = None
    bill_postal_code: str | None = None
    bill_country: str | None = None
    bill_phone: str | None = None
    bill_email: str | None = None
    ship_name: str | None = None
    ship_company: str | None = None
    ship_line1: str | None = None
    ship_line2: str | None = None
    ship_city: str | None = None
    ship_state: str | None = None
    ship_postal_code: str | None = None
    ship_country: str | None = None
    ship_phone: str | None = None

    subtotal: Decimal = money()
    freight: Decimal = money()
    tax: Decimal = money()
    total: Decimal = money()
    currency: str = Field(default="USD", max_length=3)

    tracking_number: str | None = None
    carrier: str | None = None
    shipped_at: dt.datetime | None = timestamp()
    voided_at: dt.datetime | None = timestamp()
    closed_at: dt.datetime | None = timestamp()
    created_at: dt.datetime = timestamp(default_now=True)
    updated_at: dt.datetime = timestamp(default_now=True, on_update=True)

    lines: list["TransactionLine"] = Relationship(
        back_populates="transaction",
        cascade_delete=True,
        sa_relationship_kwargs={"order_by": "TransactionLine.line_no"},
    )
    payments: list["Payment"] = Relationship(back_populates="transaction", cascade_delete=True)
    custom_values: list["CustomFieldValue"] = Relationship(back_populates="transaction", cascade_delete=True)


class TransactionLine(SQLModel, table=True):
    """One line of a transaction: an item, freight, a discount or a fee."""

    __tablename__: ClassVar[str] = "transaction_lines"
    __table_args__ = (sa.UniqueConstraint("transaction_id", "line_no"),)

    id: int | None = Field(default=None, primary_key=True)
    transaction_id: int | None = link("transactions.id", optional=True, ondelete="CASCADE")
    line_no: int
    kind: LineKind = Field(default=LineKind.ITEM, sa_type=enum_column(LineKind))
    item_id: int | None = link("items.id", optional=True, index=True)
    description: str | None = None
    quantity: Decimal = money(default=Decimal("1"))
    unit_price: Decimal = money()
    amount: Decimal = money()
    taxable: bool = False
    item_sales_tax_id: int | None = link("item_sales_taxes.id", optional=True, ondelete="SET NULL")

    transaction: Transaction | None = Relationship(back_populates="lines")


class Payment(SQLModel, table=True):
    """A payment recorded on a transaction, with the method and term it was mapped to."""

    __tablename__: ClassVar[str] = "payments"

    id: int | None = Field(default=None, primary_key=True)
    transaction_id: int | None = link("transactions.id", optional=True, ondelete="CASCADE", index=True)
    payment_method_id: int = link("payment_methods.id")
    term_id: int | None = link("terms.id", optional=True, ondelete="SET NULL")
    amount: Decimal = money()
    reference: str | None = None

    transaction: Transaction | None = Relationship(back_populates="payments")


class CustomFieldValue(SQLModel, table=True):
    """The value of a custom field on a transaction."""

    __tablename__: ClassVar[str] = "custom_field_values"
    __table_args__ = (sa.UniqueConstraint("transaction_id", "custom_field_id"),)

    id: int | None = Field(default=None, primary_key=True)
    transaction_id: int | None = link("transactions.id", optional=True, ondelete="CASCADE")
    custom_field_id: int = link("custom_fields.id", ondelete="CASCADE", index=True)
    value: str | None = None

    transaction: Transaction | None = Relationship(back_populates="custom_values")


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


BACK_OFFICE_TABLES = (
    ItemGroup, Location, TransactionClass, SalesRep, CustomerType, SalesTaxCode, ItemSalesTax,
    PaymentMethod, Term, CustomField, Item, Stock, BomLine, PurchaseOrderLine, ItemVendor,
    Customer, ShipTo, ShipMethod, Discount, Transaction, TransactionLine, Payment, CustomFieldValue,
)  # fmt: skip
ENGINE_TABLES = (
    Integration, IntegrationTaxState, IntegrationShipMethod, IntegrationPaymentMethod,
    IntegrationDiscount, IntegrationLocation, ExternalRef, InventoryPush, Job, JobEvent, SyncState, FailedOrder,
    MailSettings, User,
)  # fmt: skip

__all__ = [
    "BomLine", "CustomField", "CustomFieldTarget", "CustomFieldValue", "Customer", "CustomerType",
    "Discount", "EventLevel", "ExactDecimal", "ExternalRef", "FailedOrder", "Integration", "IntegrationDiscount",
    "IntegrationLocation", "IntegrationPaymentMethod", "InventoryPush", "IntegrationShipMethod", "IntegrationTaxState",
    "Item", "ItemGroup", "ItemSalesTax", "ItemType", "ItemVendor", "Job", "JobEvent", "JobStatus", "MailSettings",
    "JobTrigger", "LineKind", "Location", "Payment", "PaymentMethod", "PurchaseOrderLine", "SalesRep",
    "SalesTaxCode", "ShipMethod", "ShipTo", "Stock", "SyncState", "Term", "TermType", "Transaction",
    "TransactionClass", "TransactionLine", "TransactionType", "UTCDateTime", "User", "utcnow",
]
