"""The schedule of periodic work (sending mail and webhooks, alerts, reminders), shared by
every process that runs work so that each kind runs once at a time: a platform table, no
tenant's data in it.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 19:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_work",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("runs", sa.BigInteger(), nullable=False),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduled_work")),
    )


def downgrade() -> None:
    op.drop_table("scheduled_work")
