"""Inventory pushes: the quantity each integration last pushed per item and cart location.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

Adds the ``inventory_pushes`` table, so an inventory push sends only quantities that changed.
Only an addition: no existing row is touched. Without rows, the first push after the upgrade
sends every quantity once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inventory_pushes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("cart_location", sa.String(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"], ["integrations.id"], name="fk_inventory_pushes_integration_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name="fk_inventory_pushes_item_id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_inventory_pushes"),
        sa.UniqueConstraint(
            "integration_id", "item_id", "cart_location", name="uq_inventory_pushes_integration_id_item_id_cart_location"
        ),
    )
    op.create_index("ix_inventory_pushes_item_id", "inventory_pushes", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_inventory_pushes_item_id", table_name="inventory_pushes")
    op.drop_table("inventory_pushes")
