"""The one SECURITY DEFINER function resolves names in the catalog and the schema only.

With ``search_path = public`` PostgreSQL still searches the session's temporary schema
first, so a caller could shadow ``job_postings`` with a temporary table of its own and
have the function read it. The path now names ``pg_temp`` last, as PostgreSQL's manual
advises. (The service role also loses the right to make temporary tables: see
``jobgraph.db.migrate.lockdown_statements``.)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 04:30:00
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER FUNCTION jobgraph_postings_matching(text) "
        "SET search_path = pg_catalog, public, pg_temp"
    )


def downgrade() -> None:
    op.execute("ALTER FUNCTION jobgraph_postings_matching(text) SET search_path = public")
