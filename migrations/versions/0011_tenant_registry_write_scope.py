"""The tenant registry under row-level security for writes: every process reads every
tenant (resolving a request needs them all), but a transaction changes only the tenant
its ``jobgraph.configure`` setting names ('*' for operators and file syncs). The admin API
sets it from who is asking, independently of which tenant the request names.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 18:12:00
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SCOPE = "current_setting('jobgraph.configure', true)"
TABLES = {
    "tenants": "slug",
    "tenant_hostnames": "tenant_slug",
    "tenant_config_versions": "tenant_slug",
}


def upgrade() -> None:
    for table, column in TABLES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY registry_read ON {table} FOR SELECT USING (true)")
        allowed = f"{SCOPE} IN ('*', {column})"
        for command in ("INSERT", "UPDATE", "DELETE"):
            using = "" if command == "INSERT" else f" USING ({allowed})"
            check = f" WITH CHECK ({allowed})" if command != "DELETE" else ""
            op.execute(
                f"CREATE POLICY registry_{command.lower()} ON {table} FOR {command}{using}{check}"
            )


def downgrade() -> None:
    for table in TABLES:
        for name in ("read", "insert", "update", "delete"):
            op.execute(f"DROP POLICY registry_{name} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
