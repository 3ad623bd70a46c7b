"""What each tenant's file said when it was last applied: the common ancestor from which
`tenants sync` tells a file's edit from a change made through the API since, key by key.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 03:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "tenants", sa.Column("file_config", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("tenants", "file_config")
