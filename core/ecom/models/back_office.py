"""The back office ecom keeps: the lists a merchant imports by CSV (items, stock, bills of
materials, customers, ship methods, terms, ...) and the sales orders and ship docs that web orders
become."""

import datetime as dt
import enum
from decimal import Decimal
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from ecom.models.columns import ZERO, enum_column, link, money, timestamp


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
