"""Identity: roles as data, sessions and refresh tokens, partner-site keys and clients,
external identities; platform operators and signing keys.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:25:48.275762
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from jobgraph.db.rls import pool_isolation_statements

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

POOL_OWNED = (
    "oauth_clients",
    "site_keys",
    "auth_sessions",
    "company_members",
    "external_identities",
    "tenant_admins",
    "refresh_tokens",
)


def upgrade() -> None:
    op.create_table(
        "oauth_clients",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.String(length=50)), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pool_id", sa.String(length=63), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_slug", sa.String(length=63), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_oauth_clients")),
        sa.UniqueConstraint(
            "pool_id", "client_id", name=op.f("uq_oauth_clients_pool_id_client_id")
        ),
    )
    op.create_table(
        "operators",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("email_normalized", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
        sa.UniqueConstraint("email_normalized", name=op.f("uq_operators_email_normalized")),
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=10), nullable=False),
        sa.Column("private_key", sa.String(length=4000), nullable=False),
        sa.Column("public_jwk", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
    )
    op.create_table(
        "site_keys",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pool_id", sa.String(length=63), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_slug", sa.String(length=63), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_site_keys")),
        sa.UniqueConstraint("pool_id", "key", name=op.f("uq_site_keys_pool_id_key")),
    )
    op.create_table(
        "auth_sessions",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=50), nullable=True),
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
            name=op.f("fk_auth_sessions_pool_id_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_auth_sessions")),
    )
    op.create_table(
        "company_members",
        sa.Column("pool_id", sa.String(length=63), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("granted_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["pool_id", "account_id"],
            ["accounts.pool_id", "accounts.id"],
            name=op.f("fk_company_members_pool_id_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pool_id", "company_id"],
            ["companies.pool_id", "companies.id"],
            name=op.f("fk_company_members_pool_id_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "pool_id", "company_id", "account_id", name=op.f("pk_company_members")
        ),
    )
    op.create_index(
        "ix_company_members_pool_id_account_id",
        "company_members",
        ["pool_id", "account_id"],
        unique=False,
    )
    op.create_table(
        "external_identities",
        sa.Column("pool_id", sa.String(length=63), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["pool_id", "account_id"],
            ["accounts.pool_id", "accounts.id"],
            name=op.f("fk_external_identities_pool_id_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "pool_id", "issuer", "subject", name=op.f("pk_external_identities")
        ),
    )
    op.create_table(
        "operator_sessions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("operator_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_operator_sessions_operator_id_operators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_sessions")),
    )
    op.create_index(
        op.f("ix_operator_sessions_operator_id"), "operator_sessions", ["operator_id"], unique=False
    )
    op.create_table(
        "tenant_admins",
        sa.Column("pool_id", sa.String(length=63), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("tenant_slug", sa.String(length=63), nullable=False),
        sa.Column("granted_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["pool_id", "account_id"],
            ["accounts.pool_id", "accounts.id"],
            name=op.f("fk_tenant_admins_pool_id_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "pool_id", "account_id", "tenant_slug", name=op.f("pk_tenant_admins")
        ),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
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
            ["pool_id", "session_id"],
            ["auth_sessions.pool_id", "auth_sessions.id"],
            name=op.f("fk_refresh_tokens_pool_id_session_id_auth_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint(
            "pool_id", "token_hash", name=op.f("uq_refresh_tokens_pool_id_token_hash")
        ),
    )
    op.create_index(
        "ix_refresh_tokens_pool_id_session_id",
        "refresh_tokens",
        ["pool_id", "session_id"],
        unique=False,
    )
    for table in POOL_OWNED:
        for statement in pool_isolation_statements(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_refresh_tokens_pool_id_session_id", table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_table("tenant_admins")
    op.drop_index(op.f("ix_operator_sessions_operator_id"), table_name="operator_sessions")
    op.drop_table("operator_sessions")
    op.drop_table("external_identities")
    op.drop_index("ix_company_members_pool_id_account_id", table_name="company_members")
    op.drop_table("company_members")
    op.drop_table("auth_sessions")
    op.drop_table("site_keys")
    op.drop_table("signing_keys")
    op.drop_table("operators")
    op.drop_table("oauth_clients")
