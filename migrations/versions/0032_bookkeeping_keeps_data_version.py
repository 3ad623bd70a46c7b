"""A posting's bookkeeping no longer bumps its pool's data version: an UPDATE bumps it only
where a row changed in a column a read may show. The periodic work marks each posting's
expiry as announced (``expiry_announced_at``, read by nothing public); with every UPDATE
bumping, each announcement, a posting every minute or two on the bench's 50k, threw away
every process's facet index and kept results and every cached read's ETag for a change
nobody could see: under `make load`, a rebuild while 200 clients waited shed some of them.

Columns are named to be ignored, not to be watched: a column added later bumps.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-05 14:10:00
"""

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

# What no read shows: written by the periodic work as it announces a posting's expiry.
BOOKKEEPING = ("expiry_announced_at",)


def upgrade() -> None:
    # The columns ignored are the trigger's arguments (TG_ARGV, a text[]); the rows are
    # compared as JSON without them, each new row with the old row of the same key.
    op.execute("""CREATE FUNCTION jobgraph_bump_pool_data_shown() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO pool_data_versions AS v (pool_id, version)
                SELECT DISTINCT changed.pool_id, 1
                FROM changed LEFT JOIN before
                    ON before.pool_id = changed.pool_id AND before.id = changed.id
                WHERE before.id IS NULL
                    OR to_jsonb(changed) - TG_ARGV IS DISTINCT FROM to_jsonb(before) - TG_ARGV
            ON CONFLICT (pool_id) DO UPDATE SET version = v.version + 1;
            RETURN NULL;
        END $$""")
    op.execute("DROP TRIGGER job_postings_data_version_update ON job_postings")
    ignored = ", ".join(f"'{column}'" for column in BOOKKEEPING)
    op.execute(
        "CREATE TRIGGER job_postings_data_version_update AFTER UPDATE ON job_postings "
        "REFERENCING OLD TABLE AS before NEW TABLE AS changed FOR EACH STATEMENT "
        f"EXECUTE FUNCTION jobgraph_bump_pool_data_shown({ignored})"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER job_postings_data_version_update ON job_postings")
    op.execute(
        "CREATE TRIGGER job_postings_data_version_update AFTER UPDATE ON job_postings "
        "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT "
        "EXECUTE FUNCTION jobgraph_bump_pool_data()"
    )
    op.execute("DROP FUNCTION jobgraph_bump_pool_data_shown()")
