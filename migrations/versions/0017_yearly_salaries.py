"""Every posting's salary as a yearly figure whatever its period (hour, day, month, year),
for filters, sorting and the salary histogram: generated columns, and the salary sort's
index on them. A day's pay is new as a period.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _yearly(column: str) -> str:
    # As jobs/enums.py's PERIODS_PER_YEAR was when this migration was written.
    return (
        f"CASE salary_period WHEN 'HOUR' THEN {column}::bigint * 2088 "
        f"WHEN 'DAY' THEN {column}::bigint * 261 WHEN 'MONTH' THEN {column}::bigint * 12 "
        f"WHEN 'YEAR' THEN {column}::bigint * 1 END"
    )


def upgrade() -> None:
    for name in ("min", "max"):
        op.add_column(
            "job_postings",
            sa.Column(
                f"salary_yearly_{name}",
                sa.BigInteger(),
                sa.Computed(_yearly(f"salary_{name}"), persisted=True),
            ),
        )
    op.drop_index("ix_job_postings_salary", table_name="job_postings")
    op.create_index(
        "ix_job_postings_salary",
        "job_postings",
        ["pool_id", "tenant_slug", "status", sa.text("coalesce(salary_yearly_max, -1) DESC"),
         sa.text("id DESC")],
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_job_postings_salary", table_name="job_postings")
    op.create_index(
        "ix_job_postings_salary",
        "job_postings",
        ["pool_id", "tenant_slug", "status", sa.text("coalesce(salary_max, -1) DESC"),
         sa.text("id DESC")],
    )  # fmt: skip
    for name in ("min", "max"):
        op.drop_column("job_postings", f"salary_yearly_{name}")
