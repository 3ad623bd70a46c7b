"""Each posting's number: a small integer for the facet index's compressed bitmaps
(jobs/facet_index.py), which hold sets of postings as sets of 32-bit numbers. Numbered
once, by the database, never reused.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 06:00:00
"""

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE job_postings ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY")
    op.execute("ALTER TABLE job_postings ADD CONSTRAINT uq_job_postings_seq UNIQUE (seq)")


def downgrade() -> None:
    op.execute("ALTER TABLE job_postings DROP COLUMN seq")
