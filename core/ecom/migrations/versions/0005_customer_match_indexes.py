"""Expression indexes for customer matching: lower(email), lower(trim(company)), lower(name).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

Customer matching is case-insensitive; without these every imported order scanned the whole
customers table. Indexes only: no row is touched.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_customers_lower_email", "customers", [sa.text("lower(email)")])
    op.create_index("ix_customers_lower_company", "customers", [sa.text("lower(trim(company))")])
    op.create_index("ix_customers_lower_name", "customers", [sa.text("lower(name)")])


def downgrade() -> None:
    op.drop_index("ix_customers_lower_name", table_name="customers")
    op.drop_index("ix_customers_lower_company", table_name="customers")
    op.drop_index("ix_customers_lower_email", table_name="customers")
