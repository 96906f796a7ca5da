"""The back office: lists, items and stock, customers, transactions.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

A migration is frozen history: it names its column types itself and never imports ecom's models,
so later changes to the models cannot change what it did.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DECIMAL = sa.Numeric().with_variant(sa.String(), "sqlite")  # exact: NUMERIC, or text on SQLite
WHEN = sa.DateTime(timezone=True)
CHOICE = sa.String(32)  # an enum's value


def pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=f"pk_{table}")


def unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=f"uq_{table}_{'_'.join(columns)}")


def fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}", ondelete=ondelete)


def index(table: str, *columns: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns))


def named_list(table: str, *extra: sa.Column) -> None:
    """A list whose rows are known by a unique name."""
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        *extra,
        pk(table),
        unique(table, "name"),
    )


ADDRESS = ("company", "line1", "line2", "city", "state", "postal_code", "country", "phone")


def address(prefix: str) -> list[sa.Column]:
    return [sa.Column(f"{prefix}{part}", sa.String(), nullable=True) for part in ADDRESS]


def upgrade() -> None:
    named_list("item_groups")
    named_list("locations")
    named_list("classes")
    named_list("sales_reps", sa.Column("email", sa.String(), nullable=True))
    named_list("customer_types")
    named_list("sales_tax_codes", sa.Column("taxable", sa.Boolean(), nullable=False))
    named_list("item_sales_taxes", sa.Column("rate", DECIMAL, nullable=False))
    named_list("payment_methods")
    named_list("terms", sa.Column("term_type", CHOICE, nullable=False))
    op.create_table(
        "custom_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("applies_to", CHOICE, nullable=False),
        pk("custom_fields"),
        unique("custom_fields", "name", "applies_to"),
    )

    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("type", CHOICE, nullable=False),
        sa.Column("price", DECIMAL, nullable=False),
        sa.Column("weight", DECIMAL, nullable=True),
        sa.Column("taxable", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        fk("items", "group_id", "item_groups", "SET NULL"),
        pk("items"),
        unique("items", "sku"),
    )
    index("items", "group_id")

    op.create_table(
        "stock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("on_hand", DECIMAL, nullable=False),
        sa.Column("committed", DECIMAL, nullable=False),
        fk("stock", "item_id", "items", "CASCADE"),
        fk("stock", "location_id", "locations", "CASCADE"),
        pk("stock"),
        unique("stock", "item_id", "location_id"),
    )
    index("stock", "location_id")

    op.create_table(
        "bom_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assembly_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("quantity", DECIMAL, nullable=False),
        fk("bom_lines", "assembly_id", "items", "CASCADE"),
        fk("bom_lines", "component_id", "items", "CASCADE"),
        pk("bom_lines"),
        unique("bom_lines", "assembly_id", "component_id"),
    )
    index("bom_lines", "component_id")

    op.create_table(
        "purchase_order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("po_number", sa.String(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("ordered", DECIMAL, nullable=False),
        sa.Column("received", DECIMAL, nullable=False),
        fk("purchase_order_lines", "item_id", "items", "CASCADE"),
        fk("purchase_order_lines", "location_id", "locations", "CASCADE"),
        pk("purchase_order_lines"),
        unique("purchase_order_lines", "po_number", "item_id", "location_id"),
    )
    index("purchase_order_lines", "item_id")
    index("purchase_order_lines", "location_id")

    op.create_table(
        "item_vendors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(), nullable=False),
        sa.Column("quantity", DECIMAL, nullable=False),
        fk("item_vendors", "item_id", "items", "CASCADE"),
        pk("item_vendors"),
        unique("item_vendors", "item_id", "vendor"),
    )

    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("company", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("first_name", sa.String(), nullable=True),
        sa.Column("last_name", sa.String(), nullable=True),
        sa.Column("customer_type_id", sa.Integer(), nullable=True),
        sa.Column("sales_rep_id", sa.Integer(), nullable=True),
        sa.Column("sales_tax_code_id", sa.Integer(), nullable=True),
        sa.Column("item_sales_tax_id", sa.Integer(), nullable=True),
        sa.Column("taxable", sa.Boolean(), nullable=False),
        fk("customers", "customer_type_id", "customer_types", "SET NULL"),
        fk("customers", "sales_rep_id", "sales_reps", "SET NULL"),
        fk("customers", "sales_tax_code_id", "sales_tax_codes", "SET NULL"),
        fk("customers", "item_sales_tax_id", "item_sales_taxes", "SET NULL"),
        pk("customers"),
        unique("customers", "name"),
    )
    index("customers", "email")

    op.create_table(
        "ship_tos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        *address(""),
        fk("ship_tos", "customer_id", "customers", "CASCADE"),
        pk("ship_tos"),
        unique("ship_tos", "customer_id", "name"),
    )

    op.create_table(
        "ship_methods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("carrier", sa.String(), nullable=True),
        sa.Column("other_charge_item_id", sa.Integer(), nullable=True),
        fk("ship_methods", "other_charge_item_id", "items", "SET NULL"),
        pk("ship_methods"),
        unique("ship_methods", "name"),
    )

    op.create_table(
        "discounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(), nullable=True),
        fk("discounts", "item_id", "items", "SET NULL"),
        pk("discounts"),
        unique("discounts", "name"),
    )

    op.create_table(
        "transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type", CHOICE, nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("ship_to_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("hold", sa.Boolean(), nullable=False),
        sa.Column("web_order_number", sa.String(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("ship_method_id", sa.Integer(), nullable=True),
        sa.Column("sales_tax_code_id", sa.Integer(), nullable=True),
        sa.Column("item_sales_tax_id", sa.Integer(), nullable=True),
        sa.Column("bill_name", sa.String(), nullable=True),
        *address("bill_"),
        sa.Column("bill_email", sa.String(), nullable=True),
        sa.Column("ship_name", sa.String(), nullable=True),
        *address("ship_"),
        sa.Column("subtotal", DECIMAL, nullable=False),
        sa.Column("freight", DECIMAL, nullable=False),
        sa.Column("tax", DECIMAL, nullable=False),
        sa.Column("total", DECIMAL, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("tracking_number", sa.String(), nullable=True),
        sa.Column("carrier", sa.String(), nullable=True),
        sa.Column("shipped_at", WHEN, nullable=True),
        sa.Column("voided_at", WHEN, nullable=True),
        sa.Column("closed_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        fk("transactions", "customer_id", "customers"),
        fk("transactions", "ship_to_id", "ship_tos", "SET NULL"),
        fk("transactions", "location_id", "locations", "SET NULL"),
        fk("transactions", "class_id", "classes", "SET NULL"),
        fk("transactions", "ship_method_id", "ship_methods", "SET NULL"),
        fk("transactions", "sales_tax_code_id", "sales_tax_codes", "SET NULL"),
        fk("transactions", "item_sales_tax_id", "item_sales_taxes", "SET NULL"),
        pk("transactions"),
        unique("transactions", "number"),
    )
    index("transactions", "customer_id")
    index("transactions", "web_order_number")

    op.create_table(
        "transaction_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("kind", CHOICE, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column("quantity", DECIMAL, nullable=False),
        sa.Column("unit_price", DECIMAL, nullable=False),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("taxable", sa.Boolean(), nullable=False),
        sa.Column("item_sales_tax_id", sa.Integer(), nullable=True),
        fk("transaction_lines", "transaction_id", "transactions", "CASCADE"),
        fk("transaction_lines", "item_id", "items"),
        fk("transaction_lines", "item_sales_tax_id", "item_sales_taxes", "SET NULL"),
        pk("transaction_lines"),
        unique("transaction_lines", "transaction_id", "line_no"),
    )
    index("transaction_lines", "item_id")

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("payment_method_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=True),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("reference", sa.String(), nullable=True),
        fk("payments", "transaction_id", "transactions", "CASCADE"),
        fk("payments", "payment_method_id", "payment_methods"),
        fk("payments", "term_id", "terms", "SET NULL"),
        pk("payments"),
    )
    index("payments", "transaction_id")

    op.create_table(
        "custom_field_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("custom_field_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(), nullable=True),
        fk("custom_field_values", "transaction_id", "transactions", "CASCADE"),
        fk("custom_field_values", "custom_field_id", "custom_fields", "CASCADE"),
        pk("custom_field_values"),
        unique("custom_field_values", "transaction_id", "custom_field_id"),
    )
    index("custom_field_values", "custom_field_id")


def downgrade() -> None:
    for table in (
        "custom_field_values", "payments", "transaction_lines", "transactions", "discounts",
        "ship_methods", "ship_tos", "customers", "item_vendors", "purchase_order_lines", "bom_lines",
        "stock", "items", "custom_fields", "terms", "payment_methods", "item_sales_taxes",
        "sales_tax_codes", "customer_types", "sales_reps", "classes", "locations", "item_groups",
    ):  # fmt: skip
        op.drop_table(table)
