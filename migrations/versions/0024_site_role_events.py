"""The history of a site's admin role: every invitation, acceptance and revocation, by
whom, for which address.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 17:00:00
"""

import sqlalchemy as sa
from alembic import op

from jobgraph.db.rls import pool_isolation_statements, pool_owned_columns

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_role_events",
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        *pool_owned_columns(),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_site_role_events")),
    )
    op.create_index(
        "ix_site_role_events_site", "site_role_events", ["pool_id", "tenant_slug", "created_at"]
    )
    for statement in pool_isolation_statements("site_role_events"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("site_role_events")
