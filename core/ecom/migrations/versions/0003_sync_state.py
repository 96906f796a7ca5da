"""Job memory (watermarks, schedule state, job options, failed records kept for retry) and mail.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Adds the ``sync_state`` table, ``jobs.options`` (which phases, full or not, which job it
retries) and ``job_events.payload`` (the record a failed event is about, so ``ecom jobs retry``
can run it again), and ``mail_settings`` for the end-of-job email. Only additions: no existing
row is touched.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"], name="fk_sync_state_integration_id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_sync_state"),
        sa.UniqueConstraint("integration_id", "key", name="uq_sync_state_integration_id_key"),
    )
    op.create_table(
        "mail_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("security", sa.String(), nullable=False),
        sa.Column("username", sa.String(), nullable=True),
        sa.Column("password_encrypted", sa.Text(), nullable=True),
        sa.Column("from_address", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mail_settings"),
    )
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("options", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("job_events") as batch:
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_events") as batch:
        batch.drop_column("payload")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("options")
    op.drop_table("mail_settings")
    op.drop_table("sync_state")
