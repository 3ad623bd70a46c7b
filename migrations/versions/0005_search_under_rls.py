"""Let the bigram index work under row-level security.

PostgreSQL evaluates a table's security qualifiers before any operator that is not
LEAKPROOF, and array containment (@>) is not: under the pool policy the GIN index on
job_postings.search_grams is never used, and every text search scans the pool. The index
is read instead by one SECURITY DEFINER function owned by jobgraph_search, a role that
cannot log in, may read only the index columns of job_postings (pool_id, id, search_grams),
and has a policy of its own that lets the GIN index serve it. The function confines itself
to the pool of the calling transaction, as the pool policy does, and returns only ids; the
postings themselves are still read by the service role, through the pool policy.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from alembic import op

from jobgraph.db.driver import POOL_SETTING
from jobgraph.db.urls import APP_ROLE, SEARCH_ROLE

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(f"GRANT SELECT (pool_id, id, search_grams) ON job_postings TO {SEARCH_ROLE}")
    op.execute(
        f"CREATE POLICY search_index ON job_postings FOR SELECT TO {SEARCH_ROLE} USING (true)"
    )
    op.execute(f"""CREATE FUNCTION jobgraph_postings_matching(query text) RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public ROWS 200 AS $$
        SELECT id FROM job_postings
         WHERE pool_id = current_setting('{POOL_SETTING}', true)
           AND search_grams @> (SELECT jobgraph_bigrams(query))  -- once, not per row
    $$""")
    op.execute(f"ALTER FUNCTION jobgraph_postings_matching(text) OWNER TO {SEARCH_ROLE}")
    op.execute("REVOKE ALL ON FUNCTION jobgraph_postings_matching(text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION jobgraph_postings_matching(text) TO {APP_ROLE}")


def downgrade() -> None:
    op.execute("DROP FUNCTION jobgraph_postings_matching(text)")
    op.execute("DROP POLICY search_index ON job_postings")
    op.execute(f"REVOKE SELECT (pool_id, id, search_grams) ON job_postings FROM {SEARCH_ROLE}")
