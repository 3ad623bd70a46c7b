"""A second factor for staff: accounts and operators enrol a TOTP secret (sealed) with
recovery codes (their digests); a session records when it last passed the second factor.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 16:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_HOLDERS = ("accounts", "operators")
_SESSIONS = ("auth_sessions", "operator_sessions")


def upgrade() -> None:
    for table in _HOLDERS:
        op.add_column(table, sa.Column("totp_secret", sa.String(length=300)))
        op.add_column(table, sa.Column("second_factor_enrolled_at", sa.DateTime(timezone=True)))
        op.add_column(
            table,
            sa.Column(
                "recovery_code_hashes",
                postgresql.ARRAY(sa.String(length=64)),
                server_default=sa.text("'{}'"),
                nullable=False,
            ),
        )
    for table in _SESSIONS:
        op.add_column(table, sa.Column("second_factor_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    for table in _SESSIONS:
        op.drop_column(table, "second_factor_at")
    for table in _HOLDERS:
        for column in ("recovery_code_hashes", "second_factor_enrolled_at", "totp_secret"):
            op.drop_column(table, column)
