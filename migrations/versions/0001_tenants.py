"""Tenant registry, and the default privileges of the service role.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from jobgraph.db.urls import APP_ROLE

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Tables the owner creates from now on are usable, not owned, by the service role.
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}"
    )
    op.execute(f"REVOKE ALL ON alembic_version FROM {APP_ROLE}")
    op.execute(f"GRANT SELECT ON alembic_version TO {APP_ROLE}")

    op.create_table(
        "tenants",
        sa.Column("slug", sa.String(63), nullable=False),
        sa.Column("pool_id", sa.String(63), nullable=False),
        sa.Column("parent_slug", sa.String(63), nullable=True),
        sa.Column("config", postgresql.JSONB(), nullable=False),
        sa.Column("config_hash", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["parent_slug"],
            ["tenants.slug"],
            ondelete="RESTRICT",
            name="fk_tenants_parent_slug_tenants",
        ),
        sa.PrimaryKeyConstraint("slug", name="pk_tenants"),
    )
    op.create_index("ix_tenants_pool_id", "tenants", ["pool_id"])
    op.create_table(
        "tenant_hostnames",
        sa.Column("hostname", sa.String(253), nullable=False),
        sa.Column("tenant_slug", sa.String(63), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_slug"],
            ["tenants.slug"],
            ondelete="CASCADE",
            name="fk_tenant_hostnames_tenant_slug_tenants",
        ),
        sa.PrimaryKeyConstraint("hostname", name="pk_tenant_hostnames"),
    )
    op.create_index("ix_tenant_hostnames_tenant_slug", "tenant_hostnames", ["tenant_slug"])


def downgrade() -> None:
    op.drop_table("tenant_hostnames")
    op.drop_table("tenants")
