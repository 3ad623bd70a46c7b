"""Row-level security for pool-owned tables, used by migrations."""

from jobgraph.db.engine import POOL_SETTING

# With no pool set for the transaction, current_setting() is NULL or '' and no row matches.
_IN_POOL = f"pool_id = current_setting('{POOL_SETTING}', true)"


def pool_isolation_statements(table: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY pool_isolation ON {table} USING ({_IN_POOL}) WITH CHECK ({_IN_POOL})",
    ]
