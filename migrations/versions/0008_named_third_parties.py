"""Consent to disclosure names its third party.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "consent_records",
        sa.Column("third_party", sa.String(100), server_default="", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("consent_records", "third_party")
