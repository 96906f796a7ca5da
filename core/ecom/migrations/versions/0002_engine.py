"""The sync engine: integrations and their grids, bindings, jobs and job events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Transactions gain the integration that made them (null for those entered in the back office).
On SQLite that rebuilds the transactions table (batch mode); its rows and the rows pointing at
them are kept.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)
CHOICE = sa.String(32)  # an enum's value
UNFINISHED = sa.text("status IN ('queued', 'running')")


def pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=f"pk_{table}")


def unique(table: str, *columns: str, name: str | None = None) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=name or f"uq_{table}_{'_'.join(columns)}")


def fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}", ondelete=ondelete)


def grid(table: str, *columns: sa.Column, constraints: Sequence[sa.Constraint]) -> None:
    """A mapping grid of an integration: its rows go when the integration goes."""
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        *columns,
        fk(table, "integration_id", "integrations", "CASCADE"),
        *constraints,
        pk(table),
    )


def upgrade() -> None:
    op.create_table(
        "integrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("cart_kind", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("website_name", sa.String(), nullable=False),
        sa.Column("api_url", sa.String(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("password_encrypted", sa.Text(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        pk("integrations"),
        unique("integrations", "name"),
    )

    grid(
        "integration_tax_states",
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("item_sales_tax_id", sa.Integer(), nullable=False),
        constraints=[
            fk("integration_tax_states", "item_sales_tax_id", "item_sales_taxes", "CASCADE"),
            unique("integration_tax_states", "integration_id", "state"),
        ],
    )
    grid(
        "integration_ship_methods",
        sa.Column("ship_method_id", sa.Integer(), nullable=False),
        sa.Column("cart_method", sa.String(), nullable=False),
        sa.Column("cart_carrier", sa.String(), nullable=False),
        constraints=[
            fk("integration_ship_methods", "ship_method_id", "ship_methods", "CASCADE"),
            unique(
                "integration_ship_methods",
                "integration_id",
                "cart_method",
                "cart_carrier",
                name="uq_integration_ship_methods_cart_method",
            ),
        ],
    )
    grid(
        "integration_payment_methods",
        sa.Column("cart_method", sa.String(), nullable=False),
        sa.Column("payment_method_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=True),
        constraints=[
            fk("integration_payment_methods", "payment_method_id", "payment_methods", "CASCADE"),
            fk("integration_payment_methods", "term_id", "terms", "SET NULL"),
            unique("integration_payment_methods", "integration_id", "cart_method"),
        ],
    )
    grid(
        "integration_discounts",
        sa.Column("cart_code", sa.String(), nullable=False),
        sa.Column("discount_id", sa.Integer(), nullable=False),
        constraints=[
            fk("integration_discounts", "discount_id", "discounts", "CASCADE"),
            unique("integration_discounts", "integration_id", "cart_code"),
        ],
    )
    grid(
        "integration_locations",
        sa.Column("location_id", sa.Integer(), nullable=False),
        constraints=[
            fk("integration_locations", "location_id", "locations", "CASCADE"),
            unique("integration_locations", "integration_id", "location_id"),
        ],
    )

    op.create_table(
        "external_refs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("local_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        fk("external_refs", "integration_id", "integrations", "CASCADE"),
        pk("external_refs"),
        unique("external_refs", "integration_id", "kind", "external_id"),
    )
    op.create_index("ix_external_refs_integration_id_kind_local_id", "external_refs", ["integration_id", "kind", "local_id"])

    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("trigger", CHOICE, nullable=False),
        sa.Column("status", CHOICE, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.Column("heartbeat_at", WHEN, nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("worker", sa.String(), nullable=True),
        fk("jobs", "integration_id", "integrations", "CASCADE"),
        pk("jobs"),
    )
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_index("ix_jobs_integration_id_created_at", "jobs", ["integration_id", "created_at"])
    op.create_index(
        "uq_jobs_one_unfinished_per_integration",
        "jobs",
        ["integration_id"],
        unique=True,
        sqlite_where=UNFINISHED,
        postgresql_where=UNFINISHED,
    )

    op.create_table(
        "job_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("level", CHOICE, nullable=False),
        sa.Column("phase", sa.String(), nullable=True),
        sa.Column("record_ref", sa.String(), nullable=True),
        sa.Column("rule", sa.String(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        fk("job_events", "job_id", "jobs", "CASCADE"),
        pk("job_events"),
    )
    op.create_index("ix_job_events_job_id", "job_events", ["job_id"])

    with op.batch_alter_table("transactions") as batch:
        batch.add_column(sa.Column("integration_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_transactions_integration_id", "integrations", ["integration_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_transactions_integration_id", ["integration_id"])


def downgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.drop_index("ix_transactions_integration_id")
        batch.drop_constraint("fk_transactions_integration_id", type_="foreignkey")
        batch.drop_column("integration_id")
    for table in (
        "job_events", "jobs", "external_refs", "integration_locations", "integration_discounts",
        "integration_payment_methods", "integration_ship_methods", "integration_tax_states", "integrations",
    ):  # fmt: skip
        op.drop_table(table)
