"""Codes mailed to an address (confirming a registration, resetting a password, changing
an address, joining a company, administering a site): each works once, until it expires,
and only while it is the newest of its purpose and subject. A registration waits in its
code until confirmed: an account exists only once its address is.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 14:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from jobgraph.db.rls import pool_isolation_statements, pool_owned_columns

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailed_codes",
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("subject", sa.String(length=400), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        *pool_owned_columns(),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_mailed_codes")),
        sa.UniqueConstraint("pool_id", "code_hash", name=op.f("uq_mailed_codes_pool_id_code_hash")),
    )
    op.create_index("ix_mailed_codes_subject", "mailed_codes", ["pool_id", "purpose", "subject"])
    for statement in pool_isolation_statements("mailed_codes"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("mailed_codes")
