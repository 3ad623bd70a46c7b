"""What a person sees of their own sign-ins (mySessions): when each was last used (signed
in or refreshed), from which browser and which address.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("auth_sessions", sa.Column("last_used_at", sa.DateTime(timezone=True)))
    op.add_column("auth_sessions", sa.Column("user_agent", sa.String(length=300)))
    op.add_column("auth_sessions", sa.Column("client_address", sa.String(length=64)))


def downgrade() -> None:
    op.drop_column("auth_sessions", "client_address")
    op.drop_column("auth_sessions", "user_agent")
    op.drop_column("auth_sessions", "last_used_at")
