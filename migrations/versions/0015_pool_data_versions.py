"""A version of each pool's public data (postings and companies), bumped by every statement
that changes them: with the tenant registry's version it names the data a public read
saw, so cached responses and ETags of public reads change exactly when that data does.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLES = ("job_postings", "companies")
# Transition tables allow one event per trigger: insert and update see the new rows,
# delete the old ones.
EVENTS = (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))


def upgrade() -> None:
    op.create_table(
        "pool_data_versions",
        sa.Column("pool_id", sa.String(63), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", name=op.f("pk_pool_data_versions")),
    )
    op.execute("""CREATE FUNCTION jobgraph_bump_pool_data() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO pool_data_versions AS v (pool_id, version)
                SELECT DISTINCT pool_id, 1 FROM changed
            ON CONFLICT (pool_id) DO UPDATE SET version = v.version + 1;
            RETURN NULL;
        END $$""")
    for table in TABLES:
        for event, rows in EVENTS:
            op.execute(
                f"CREATE TRIGGER {table}_data_version_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {rows} TABLE AS changed FOR EACH STATEMENT "
                "EXECUTE FUNCTION jobgraph_bump_pool_data()"
            )


def downgrade() -> None:
    for table in TABLES:
        for event, _rows in EVENTS:
            op.execute(f"DROP TRIGGER {table}_data_version_{event.lower()} ON {table}")
    op.execute("DROP FUNCTION jobgraph_bump_pool_data()")
    op.drop_table("pool_data_versions")
