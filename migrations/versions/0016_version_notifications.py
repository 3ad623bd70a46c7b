"""Every change to the tenant registry's version or a pool's data version is announced on
the channel ``jobgraph_versions`` (delivered when its transaction commits), so a process
that listens knows its copy is stale without reading the versions on every request.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26 07:30:00
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TABLES = ("tenant_registry_state", "pool_data_versions")


def upgrade() -> None:
    op.execute("""CREATE FUNCTION jobgraph_notify_versions() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            PERFORM pg_notify('jobgraph_versions', '');
            RETURN NULL;
        END $$""")
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_notify AFTER INSERT OR UPDATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION jobgraph_notify_versions()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_notify ON {table}")
    op.execute("DROP FUNCTION jobgraph_notify_versions()")
