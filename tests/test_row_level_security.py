"""Tenant isolation in PostgreSQL itself: the service role owns nothing, cannot bypass
row-level security, and sees only the pool its transaction names, even when a query
forgets to filter by pool."""

import os

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from jobgraph.db.embedded import MINIMUM_VERSION
from jobgraph.db.urls import APP_ROLE, SEARCH_ROLE
from jobgraph.tables import POOL_OWNED_TABLES


async def connect_as_service(urls) -> asyncpg.Connection:
    url = make_url(urls.app).set(drivername="postgresql")
    return await asyncpg.connect(url.render_as_string(hide_password=False))


@pytest.fixture
async def service(database):
    connection = await connect_as_service(database)
    yield connection
    await connection.close()


async def test_the_service_role_owns_no_table_and_cannot_bypass_rls(service):
    role = await service.fetchrow(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )
    assert role["rolsuper"] is False and role["rolbypassrls"] is False
    owned = await service.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
    )
    assert owned == []


async def test_every_pool_owned_table_has_forced_rls(service):
    assert {"accounts", "companies", "job_postings"} <= set(POOL_OWNED_TABLES)
    rows = await service.fetch(
        "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
        "WHERE relname = ANY($1::text[])",
        list(POOL_OWNED_TABLES),
    )
    assert len(rows) == len(POOL_OWNED_TABLES)
    assert all(row["relrowsecurity"] and row["relforcerowsecurity"] for row in rows), rows


async def test_without_a_pool_setting_no_rows_are_visible(service):
    for table in POOL_OWNED_TABLES:
        assert await service.fetchval(f"SELECT count(*) FROM {table}") == 0, table


async def test_an_unfiltered_query_sees_only_the_pool_of_its_transaction(service):
    query = "SELECT DISTINCT pool_id FROM companies"  # "forgets" its pool filter
    async with service.transaction():
        await service.execute("SELECT set_config('jobgraph.pool', 'community', true)")
        assert [row["pool_id"] for row in await service.fetch(query)] == ["community"]
        # Asking for the other pool by name finds nothing either.
        assert (
            await service.fetchval("SELECT count(*) FROM job_postings WHERE pool_id = 'jobboard'")
            == 0
        )
    async with service.transaction():
        await service.execute("SELECT set_config('jobgraph.pool', 'jobboard', true)")
        assert [row["pool_id"] for row in await service.fetch(query)] == ["jobboard"]


async def test_the_pool_setting_ends_with_its_transaction(service):
    async with service.transaction():
        await service.execute("SELECT set_config('jobgraph.pool', 'jobboard', true)")
        assert await service.fetchval("SELECT count(*) FROM companies") > 0
    assert await service.fetchval("SELECT count(*) FROM companies") == 0


async def test_writing_into_another_pool_is_refused(service):
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with service.transaction():
            await service.execute("SELECT set_config('jobgraph.pool', 'community', true)")
            await service.execute(
                "INSERT INTO companies (pool_id, tenant_slug, name, description, locations) "
                "VALUES ('jobboard', 'jobboard', 'Intruder KK', '', '{}')"
            )


async def test_moving_a_row_into_another_pool_is_refused(service):
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with service.transaction():
            await service.execute("SELECT set_config('jobgraph.pool', 'community', true)")
            await service.execute("UPDATE companies SET pool_id = 'jobboard'")


async def test_the_service_role_cannot_change_the_schema_or_its_policies(service):
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await service.execute("ALTER TABLE companies DISABLE ROW LEVEL SECURITY")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await service.execute("DROP POLICY pool_isolation ON companies")


async def test_the_registry_is_readable_but_writable_only_in_the_declared_scope(service):
    assert await service.fetchval("SELECT count(*) FROM tenants") == 3  # resolution reads all
    update = "UPDATE tenants SET config = config WHERE slug = $1"
    for scope, slug, changed in (
        (None, "jobboard", "UPDATE 0"),
        ("community", "jobboard", "UPDATE 0"),
        ("community", "community", "UPDATE 1"),
        ("*", "jobboard", "UPDATE 1"),
    ):
        transaction = service.transaction()
        await transaction.start()
        try:
            if scope is not None:
                await service.execute("SELECT set_config('jobgraph.configure', $1, true)", scope)
            assert await service.execute(update, slug) == changed, (scope, slug)
        finally:
            await transaction.rollback()
    async with service.transaction():
        await service.execute("SELECT set_config('jobgraph.configure', 'community', true)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await service.execute(
                "INSERT INTO tenant_hostnames (hostname, tenant_slug) "
                "VALUES ('stolen.example', 'jobboard')"
            )


async def test_a_temporary_table_cannot_shadow_what_the_search_function_reads(service):
    # The attack: a temporary job_postings, earlier on the definer function's search path.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await service.execute("CREATE TEMP TABLE job_postings (id uuid, pool_id text)")


async def test_catalog_settings_that_keep_the_database_closed(template_database, database_server):
    # The template is a database as `jobgraph migrate` left it.
    admin = await database_server.admin(template_database)
    try:
        config = await admin.fetchval(
            "SELECT proconfig FROM pg_proc WHERE proname = 'jobgraph_postings_matching'"
        )
        assert config == ["search_path=pg_catalog, public, pg_temp"]
        definers = await admin.fetch(
            "SELECT proname, proconfig FROM pg_proc p JOIN pg_namespace n "
            "ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.prosecdef"
        )
        assert [(row["proname"], row["proconfig"][-1][-7:]) for row in definers] == [
            ("jobgraph_postings_matching", "pg_temp")
        ]
        for role in (APP_ROLE, SEARCH_ROLE, "public"):
            creates = await admin.fetchval(
                "SELECT has_schema_privilege($1, 'public', 'CREATE')", role
            )
            temporary = await admin.fetchval(
                "SELECT has_database_privilege($1, current_database(), 'TEMPORARY')", role
            )
            assert (role, creates, temporary) == (role, False, False)
    finally:
        await admin.close()


async def test_the_embedded_server_is_current_and_admits_connections_by_peer_identity(
    database_server,
):
    if os.environ.get("DATABASE_URL"):
        pytest.skip("the PostgreSQL at DATABASE_URL is configured by its own administrator")
    admin = await database_server.admin()
    try:
        version = await admin.fetchval("SHOW server_version_num")
        rules = await admin.fetch(
            "SELECT type, database, auth_method FROM pg_hba_file_rules ORDER BY rule_number"
        )
    finally:
        await admin.close()
    major, minor = int(version) // 10000, int(version) % 10000
    assert (major, minor) >= MINIMUM_VERSION
    # Sockets only, by peer identity; replication too (a standby is made the same way).
    assert [(row["type"], row["database"], row["auth_method"]) for row in rules] == [
        ("local", ["all"], "peer"),
        ("local", ["replication"], "peer"),
    ]


# Tables the service writes that belong to no pool: the platform's own (its operators,
# their sessions, the keys that sign every site's tokens, the registry's version that any
# site's change moves on). Everything else it can write is under row-level security.
PLATFORM_TABLES = {
    "operators",
    "operator_sessions",
    "signing_keys",
    "tenant_registry_state",
    "scheduled_work",  # the periodic work's schedule: no tenant's data
}


async def test_every_table_the_service_can_write_is_under_row_level_security(service):
    writable = await service.fetch(
        "SELECT DISTINCT c.relname, c.relrowsecurity, c.relforcerowsecurity "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' AND ("
        "has_table_privilege(current_user, c.oid, 'INSERT') OR "
        "has_table_privilege(current_user, c.oid, 'UPDATE') OR "
        "has_table_privilege(current_user, c.oid, 'DELETE'))"
    )
    unguarded = {
        row["relname"]
        for row in writable
        if not (row["relrowsecurity"] and row["relforcerowsecurity"])
    }
    assert unguarded == PLATFORM_TABLES


async def test_a_pool_bumps_only_its_own_data_version(service):
    assert await service.fetchval("SELECT count(*) FROM pool_data_versions") >= 2
    async with service.transaction():
        await service.execute("SELECT set_config('jobgraph.pool', 'community', true)")
        assert (
            await service.execute(
                "UPDATE pool_data_versions SET version = version + 1 WHERE pool_id = 'jobboard'"
            )
            == "UPDATE 0"
        )
        assert (
            await service.execute(
                "UPDATE pool_data_versions SET version = version + 1 WHERE pool_id = 'community'"
            )
            == "UPDATE 1"
        )
