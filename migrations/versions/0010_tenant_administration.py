"""Tenant administration (versioned configuration), legal documents and their
acceptance, inquiries.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 17:45:01.767367
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from jobgraph.db.rls import pool_isolation_statements

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inquiries",
        sa.Column("account_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("reply_to", sa.String(length=254), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=1000), nullable=True),
        sa.Column("pool_id", sa.String(length=63), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_slug", sa.String(length=63), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_inquiries")),
    )
    op.create_index(
        "ix_inquiries_open", "inquiries", ["pool_id", "tenant_slug", "status"], unique=False
    )
    op.create_table(
        "legal_documents",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=100), nullable=False),
        sa.Column("pool_id", sa.String(length=63), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_slug", sa.String(length=63), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_legal_documents")),
        sa.UniqueConstraint(
            "pool_id",
            "tenant_slug",
            "kind",
            "version",
            name=op.f("uq_legal_documents_pool_id_tenant_slug_kind_version"),
        ),
    )
    op.create_table(
        "document_acceptances",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("document_id", sa.UUID(), nullable=False),
        sa.Column("pool_id", sa.String(length=63), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_slug", sa.String(length=63), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["pool_id", "account_id"],
            ["accounts.pool_id", "accounts.id"],
            name=op.f("fk_document_acceptances_pool_id_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pool_id", "document_id"],
            ["legal_documents.pool_id", "legal_documents.id"],
            name=op.f("fk_document_acceptances_pool_id_document_id_legal_documents"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_document_acceptances")),
        sa.UniqueConstraint(
            "pool_id",
            "account_id",
            "document_id",
            name=op.f("uq_document_acceptances_pool_id_account_id_document_id"),
        ),
    )
    op.create_table(
        "tenant_config_versions",
        sa.Column("tenant_slug", sa.String(length=63), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_slug"],
            ["tenants.slug"],
            name=op.f("fk_tenant_config_versions_tenant_slug_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_slug", "version", name=op.f("pk_tenant_config_versions")),
    )
    op.add_column(
        "tenants", sa.Column("source", sa.String(length=8), server_default="FILE", nullable=False)
    )
    for table in ("inquiries", "legal_documents", "document_acceptances"):
        for statement in pool_isolation_statements(table):
            op.execute(statement)
    # The history starts with each tenant's current version.
    op.execute(
        "INSERT INTO tenant_config_versions (tenant_slug, version, config, source, actor, changes)"
        " SELECT slug, version, config, 'FILE', 'migration', '[]'::jsonb FROM tenants"
    )


def downgrade() -> None:
    op.drop_column("tenants", "source")
    op.drop_table("tenant_config_versions")
    op.drop_table("document_acceptances")
    op.drop_table("legal_documents")
    op.drop_index("ix_inquiries_open", table_name="inquiries")
    op.drop_table("inquiries")
