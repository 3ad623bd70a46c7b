"""Seeker statistics released once a period per site under differential privacy: each
release is kept (every request sees it until the next) with the privacy loss it spent.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 19:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from jobgraph.db.rls import pool_isolation_statements, pool_owned_columns

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statistics_releases",
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("counts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *pool_owned_columns(),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_statistics_releases")),
    )
    op.create_index(
        "ix_statistics_releases_site",
        "statistics_releases",
        ["pool_id", "tenant_slug", "created_at"],
    )
    for statement in pool_isolation_statements("statistics_releases"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("statistics_releases")
