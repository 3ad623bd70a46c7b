"""When a posting was last confirmed accurate by its employer (publishing and editing it
confirm it too): what it states as current as of, and what a site's
``confirm_listings_every_days`` ages out of search. Until a posting is confirmed, its
publication date stands for it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26 10:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("job_postings", sa.Column("confirmed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("job_postings", "confirmed_at")
