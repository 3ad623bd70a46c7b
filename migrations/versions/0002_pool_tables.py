"""Pool-owned tables (accounts, companies, job postings) under row-level security.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from jobgraph.db.rls import pool_isolation_statements

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _pool_owned_columns() -> list[sa.Column]:
    return [
        sa.Column("pool_id", sa.String(63), nullable=False),
        sa.Column(
            "id",
            postgresql.UUID(as_uuid=True),
            server_default=sa.text("gen_random_uuid()"),
            nullable=False,
        ),
        sa.Column("tenant_slug", sa.String(63), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "accounts",
        *_pool_owned_columns(),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("email_normalized", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("full_name", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("pool_id", "id", name="pk_accounts"),
        sa.UniqueConstraint(
            "pool_id", "email_normalized", name="uq_accounts_pool_id_email_normalized"
        ),
    )
    op.create_table(
        "companies",
        *_pool_owned_columns(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("logo_url", sa.String(500), nullable=True),
        sa.Column("website", sa.String(500), nullable=True),
        sa.Column("industry", sa.String(100), nullable=True),
        sa.Column("size", sa.String(20), nullable=True),
        sa.Column("locations", postgresql.ARRAY(sa.String(100)), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "id", name="pk_companies"),
    )
    op.create_table(
        "job_postings",
        *_pool_owned_columns(),
        sa.Column("company_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("employment_type", sa.String(20), nullable=False),
        sa.Column("prefecture", sa.String(50), nullable=True),
        sa.Column("city", sa.String(100), nullable=True),
        sa.Column("nearest_station", sa.String(100), nullable=True),
        sa.Column("remote", sa.String(10), nullable=False),
        sa.Column("salary_min", sa.Integer(), nullable=True),
        sa.Column("salary_max", sa.Integer(), nullable=True),
        sa.Column("salary_currency", sa.String(3), nullable=False),
        sa.Column("salary_period", sa.String(10), nullable=False),
        sa.Column("japanese_level", sa.String(4), nullable=False),
        sa.Column("english_level", sa.String(20), nullable=False),
        sa.Column("visa_sponsorship", sa.Boolean(), nullable=False),
        sa.Column("benefits", postgresql.ARRAY(sa.String(100)), nullable=False),
        sa.Column("tags", postgresql.ARRAY(sa.String(50)), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "salary_min IS NULL OR salary_max IS NULL OR salary_min <= salary_max",
            name="ck_job_postings_salary_range",
        ),
        sa.ForeignKeyConstraint(
            ["pool_id", "company_id"],
            ["companies.pool_id", "companies.id"],
            ondelete="CASCADE",
            name="fk_job_postings_pool_id_company_id_companies",
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name="pk_job_postings"),
    )
    op.create_index("ix_job_postings_pool_id_company_id", "job_postings", ["pool_id", "company_id"])
    for table in ("accounts", "companies", "job_postings"):
        for statement in pool_isolation_statements(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("job_postings")
    op.drop_table("companies")
    op.drop_table("accounts")
