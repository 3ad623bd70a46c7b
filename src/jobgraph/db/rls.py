"""Pool-owned tables in migrations: their common columns and their row-level security."""

import sqlalchemy as sa

from jobgraph.db.driver import POOL_SETTING

# With no pool set for the transaction, current_setting() is NULL or '' and no row matches.
_IN_POOL = f"pool_id = current_setting('{POOL_SETTING}', true)"


def pool_owned_columns() -> list[sa.Column[object]]:
    """The columns every pool-owned table has (``db.models.PoolOwned``), for a new table."""
    return [
        sa.Column("pool_id", sa.String(length=63), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_slug", sa.String(length=63), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    ]


def pool_isolation_statements(table: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY pool_isolation ON {table} USING ({_IN_POOL}) WITH CHECK ({_IN_POOL})",
    ]


def in_every_pool(statement: str) -> str:
    """A data migration's statement, run once in each pool: the owner role is subject to
    row-level security too (it is forced), so without a pool it would touch no row."""
    return f"""DO $$ DECLARE pool text; BEGIN
        FOR pool IN SELECT DISTINCT pool_id FROM tenants LOOP
            PERFORM set_config('{POOL_SETTING}', pool, true);
            {statement};
        END LOOP;
        PERFORM set_config('{POOL_SETTING}', '', true);
    END $$"""
