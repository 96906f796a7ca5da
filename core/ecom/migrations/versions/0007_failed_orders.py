"""Orders that failed to import are kept aside, so the watermark can move past them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

Adds the ``failed_orders`` table: per integration, the cart id of each order the import could not
store, the copy the job kept, why it failed, and whether the admin dismissed it. Each sync asks
the cart for these orders again by id. Only an addition: no existing row is touched. Orders that
failed before the upgrade are still read again through the watermark, which they hold back until
one sync after the upgrade has kept them aside.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "failed_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("cart_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"], name="fk_failed_orders_integration_id", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name="fk_failed_orders_job_id", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_failed_orders"),
        sa.UniqueConstraint("integration_id", "external_id", name="uq_failed_orders_integration_id_external_id"),
    )


def downgrade() -> None:
    op.drop_table("failed_orders")
