"""Accounts confirm their e-mail address before they can sign in (registration answers
the same for a known and an unknown address); mail may go to an address without an
account (an invitation to join a company).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing accounts were made by registrations that signed in at once: confirmed.
    op.add_column(
        "accounts",
        sa.Column(
            "email_confirmed_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=True,
        ),
    )
    op.alter_column("notifications", "account_id", nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE account_id IS NULL")
    op.alter_column("notifications", "account_id", nullable=False)
    op.drop_column("accounts", "email_confirmed_at")
