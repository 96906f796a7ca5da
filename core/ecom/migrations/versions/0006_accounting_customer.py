"""Transactions remember the proxy customer they are accounted to.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

With proxy customers set but *use proxy on orders* off, each web order keeps its own customer and
the proxy is only the accounting customer (SPEC §2): ``transactions.accounting_customer_id``. A new
nullable column; existing rows keep theirs as they are (none).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.add_column(sa.Column("accounting_customer_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_transactions_accounting_customer_id", "customers", ["accounting_customer_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.drop_constraint("fk_transactions_accounting_customer_id", type_="foreignkey")
        batch.drop_column("accounting_customer_id")
