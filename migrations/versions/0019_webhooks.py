"""Webhooks: endpoints (a site's or a company's) and the outbox of their deliveries.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26 11:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from jobgraph.db.rls import pool_isolation_statements

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _owned() -> list[sa.Column]:
    return [
        sa.Column("pool_id", sa.String(length=63), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_slug", sa.String(length=63), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("company_id", sa.UUID(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("events", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("secret", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        *_owned(),
        sa.ForeignKeyConstraint(
            ["pool_id", "company_id"],
            ["companies.pool_id", "companies.id"],
            name=op.f("fk_webhook_endpoints_pool_id_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_index(
        "ix_webhook_endpoints_owner",
        "webhook_endpoints",
        ["pool_id", "tenant_slug", "company_id"],
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("endpoint_id", sa.UUID(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_duration_ms", sa.Integer(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        *_owned(),
        sa.ForeignKeyConstraint(
            ["pool_id", "endpoint_id"],
            ["webhook_endpoints.pool_id", "webhook_endpoints.id"],
            name=op.f("fk_webhook_deliveries_pool_id_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        "ix_webhook_deliveries_due", "webhook_deliveries", ["pool_id", "status", "next_attempt_at"]
    )
    op.create_index(
        "ix_webhook_deliveries_endpoint",
        "webhook_deliveries",
        ["pool_id", "endpoint_id", "created_at"],
    )
    for table in ("webhook_endpoints", "webhook_deliveries"):
        for statement in pool_isolation_statements(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
