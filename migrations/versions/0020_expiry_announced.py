"""When a posting's expiry was announced to the webhooks (posting.expired): a posting
expires by time, not by an act, so a sweep finds the expired ones not yet announced. A
posting published again (its expiry moved on) is announced again when that one comes.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-26 12:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("job_postings", sa.Column("expiry_announced_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("job_postings", "expiry_announced_at")
