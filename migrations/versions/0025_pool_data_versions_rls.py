"""Row-level security on the pools' data versions: every pool's version is readable (the
registry reads them all to name what a cached read saw), but a transaction bumps only its
own pool's (the trigger on postings and companies runs in that pool).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 18:00:00
"""

from alembic import op

from jobgraph.db.driver import POOL_SETTING

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_OWN_POOL = f"pool_id = current_setting('{POOL_SETTING}', true)"


def upgrade() -> None:
    for statement in (
        "ALTER TABLE pool_data_versions ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE pool_data_versions FORCE ROW LEVEL SECURITY",
        "CREATE POLICY read_every_pool ON pool_data_versions FOR SELECT USING (true)",
        f"CREATE POLICY bump_own_pool ON pool_data_versions FOR INSERT WITH CHECK ({_OWN_POOL})",
        f"CREATE POLICY bump_own_version ON pool_data_versions FOR UPDATE USING ({_OWN_POOL}) "
        f"WITH CHECK ({_OWN_POOL})",
    ):
        op.execute(statement)


def downgrade() -> None:
    for policy in ("bump_own_version", "bump_own_pool", "read_every_pool"):
        op.execute(f"DROP POLICY {policy} ON pool_data_versions")
    op.execute("ALTER TABLE pool_data_versions NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE pool_data_versions DISABLE ROW LEVEL SECURITY")
