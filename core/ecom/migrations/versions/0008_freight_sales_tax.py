"""Transactions say which item sales tax applies to their freight.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

With freight in the order's Freight box, the shipping sales tax the integration maps (SPEC §2:
non-taxable customers' default shipping sales tax; the state's tax for taxable ones whose cart
taxed shipping) had nowhere to go: ``transactions.freight_item_sales_tax_id``. A new nullable
column; existing rows keep theirs as they are (none).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.add_column(sa.Column("freight_item_sales_tax_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_transactions_freight_item_sales_tax_id", "item_sales_taxes", ["freight_item_sales_tax_id"], ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.drop_constraint("fk_transactions_freight_item_sales_tax_id", type_="foreignkey")
        batch.drop_column("freight_item_sales_tax_id")
