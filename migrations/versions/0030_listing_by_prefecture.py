"""A site's listing by prefecture, newest first: the drill-down a partner's search page
opens with (one prefecture chosen). Without it each branch of the page's statement walked
the site's whole listing and filtered it (hundreds of rows for 51; twice the plain page's
time in PostgreSQL).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_job_postings_listing_by_prefecture",
        "job_postings",
        [
            "pool_id",
            "tenant_slug",
            "status",
            "prefecture",
            sa.literal_column("published_at DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_job_postings_listing_by_prefecture", table_name="job_postings")
