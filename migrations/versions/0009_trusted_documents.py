"""Trusted documents: the operations a partner client registered.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 16:59:20.546106
"""

import sqlalchemy as sa
from alembic import op

from jobgraph.db.rls import pool_isolation_statements

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trusted_documents",
        sa.Column("client", sa.String(length=100), nullable=False),
        sa.Column("document_hash", sa.String(length=64), nullable=False),
        sa.Column("document", sa.String(length=20000), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("pool_id", sa.String(length=63), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_slug", sa.String(length=63), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_trusted_documents")),
        sa.UniqueConstraint(
            "pool_id",
            "tenant_slug",
            "client",
            "document_hash",
            name=op.f("uq_trusted_documents_pool_id_tenant_slug_client_document_hash"),
        ),
    )
    for statement in pool_isolation_statements("trusted_documents"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("trusted_documents")
