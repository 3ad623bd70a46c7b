"""Resumes, applications, invitations and the record of disclosures.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 16:15:25.208594
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from jobgraph.db.rls import pool_isolation_statements

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disclosures",
        sa.Column("subject_account_id", sa.UUID(), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("recipient_company_id", sa.UUID(), nullable=True),
        sa.Column("fields", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("hidden_from_subject", sa.Boolean(), nullable=False),
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
            ["pool_id", "subject_account_id"],
            ["accounts.pool_id", "accounts.id"],
            name=op.f("fk_disclosures_pool_id_subject_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_disclosures")),
    )
    op.create_index(
        "ix_disclosures_subject", "disclosures", ["pool_id", "subject_account_id"], unique=False
    )
    op.create_table(
        "resumes",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("visibility", sa.String(length=12), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("gender", sa.String(length=30), nullable=True),
        sa.Column("nationality", sa.String(length=60), nullable=True),
        sa.Column("residence_country", sa.String(length=60), nullable=True),
        sa.Column("residence_region", sa.String(length=60), nullable=True),
        sa.Column("nearest_station", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("visa_status", sa.String(length=60), nullable=True),
        sa.Column("languages", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("education_level", sa.String(length=30), nullable=True),
        sa.Column("education_history", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("career_level", sa.String(length=30), nullable=True),
        sa.Column("work_history", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("skills", postgresql.ARRAY(sa.String(length=60)), nullable=False),
        sa.Column("hobbies", postgresql.ARRAY(sa.String(length=60)), nullable=False),
        sa.Column("desired_categories", postgresql.ARRAY(sa.String(length=50)), nullable=False),
        sa.Column("desired_locations", postgresql.ARRAY(sa.String(length=60)), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
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
            name=op.f("fk_resumes_pool_id_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_resumes")),
        sa.UniqueConstraint("pool_id", "account_id", name=op.f("uq_resumes_pool_id_account_id")),
    )
    op.create_index("ix_resumes_visibility", "resumes", ["pool_id", "visibility"], unique=False)
    op.create_table(
        "applications",
        sa.Column("job_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("cover_note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
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
            name=op.f("fk_applications_pool_id_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pool_id", "job_id"],
            ["job_postings.pool_id", "job_postings.id"],
            name=op.f("fk_applications_pool_id_job_id_job_postings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_applications")),
        sa.UniqueConstraint(
            "pool_id",
            "job_id",
            "account_id",
            name=op.f("uq_applications_pool_id_job_id_account_id"),
        ),
    )
    op.create_index(
        "ix_applications_pool_id_account_id",
        "applications",
        ["pool_id", "account_id"],
        unique=False,
    )
    op.create_table(
        "invitations",
        sa.Column("job_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("invited_by", sa.String(length=100), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
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
            name=op.f("fk_invitations_pool_id_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pool_id", "job_id"],
            ["job_postings.pool_id", "job_postings.id"],
            name=op.f("fk_invitations_pool_id_job_id_job_postings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_invitations")),
        sa.UniqueConstraint(
            "pool_id", "job_id", "account_id", name=op.f("uq_invitations_pool_id_job_id_account_id")
        ),
    )
    for table in ("resumes", "applications", "invitations", "disclosures"):
        for statement in pool_isolation_statements(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("invitations")
    op.drop_index("ix_applications_pool_id_account_id", table_name="applications")
    op.drop_table("applications")
    op.drop_index("ix_resumes_visibility", table_name="resumes")
    op.drop_table("resumes")
    op.drop_index("ix_disclosures_subject", table_name="disclosures")
    op.drop_table("disclosures")
