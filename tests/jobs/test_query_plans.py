"""The main searches use their indexes on a table of realistic size."""

import asyncio
import uuid

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from jobgraph.db.engine import bind_pool, create_engine, session_factory
from jobgraph.jobs.enums import JobSort
from jobgraph.jobs.search import JobQuery, page_statement, shown_on
from jobgraph.tenancy.registry import Tenant, TenantRegistry
from tests.conftest import TEST_SETTINGS, database_name

SEED = """
INSERT INTO job_postings (pool_id, tenant_slug, company_id, title, description, category,
  employment_type, prefecture, city, remote, salary_min, salary_max, salary_currency,
  salary_period, japanese_level, english_level, visa_sponsorship, benefits, tags, status,
  published_at, expires_at)
SELECT 'jobboard', 'jobboard', (SELECT id FROM companies WHERE pool_id = 'jobboard' LIMIT 1),
  (ARRAY['Backend engineer', '英語講師', 'Sales manager', '日本語教師', 'Designer'])[1 + i % 5]
    || ' ' || i,
  'Description number ' || i, (ARRAY['ENGINEERING','TEACHING','SALES','DESIGN'])[1 + i % 4],
  'FULL_TIME', (ARRAY['Tokyo','Osaka','Kyoto','Aichi'])[1 + i % 4], 'City', 'NONE',
  2000000 + (i % 50) * 100000, 3000000 + (i % 50) * 100000, 'JPY', 'YEAR', 'NONE', 'NONE',
  i % 2 = 0, '{}', ARRAY['tag' || (i % 30)], 'PUBLISHED',
  now() - (i || ' minutes')::interval, now() + interval '30 days'
FROM generate_series(1, 10000) i
"""


@pytest.fixture(scope="module")
def seeded(database_server, template_database):
    """A copy of the template with 10,000 more postings, analysed; the tests only read it."""
    name = f"jobgraph_plans_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        await database_server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
        await database_server.execute(SEED, name)
        await database_server.execute("VACUUM ANALYZE job_postings", name)

    asyncio.run(create())
    yield database_server.urls_for(name)
    asyncio.run(database_server.execute(f'DROP DATABASE "{name}" WITH (FORCE)'))


async def plan(urls, statement) -> str:
    engine = create_engine(urls.app, TEST_SETTINGS)
    try:
        async with session_factory(engine)() as session:
            bind_pool(session, "jobboard")
            sql = statement.compile(
                dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
            )
            rows = await session.execute(text(f"EXPLAIN {sql}"))
            return "\n".join(row[0] for row in rows)
    finally:
        await engine.dispose()


async def jobboard(urls) -> Tenant:
    engine = create_engine(urls.app, TEST_SETTINGS)
    try:
        async with session_factory(engine)() as session:
            return (await TenantRegistry.load(session)).get("jobboard")
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("query", "used"),
    [
        (JobQuery(sort=JobSort.NEWEST), ["ix_job_postings_listing"]),
        (JobQuery(sort=JobSort.SALARY), ["ix_job_postings_salary"]),
        (JobQuery(text="日本語教師"), ["jobgraph_postings_matching", "pk_job_postings"]),
        (JobQuery(text="backend engineer"), ["jobgraph_postings_matching", "pk_job_postings"]),
    ],
)
async def test_the_search_uses_its_indexes(seeded, query, used):
    tenant = await jobboard(seeded)
    explained = await plan(seeded, page_statement(shown_on(tenant), query, 20, None))
    for name in used:
        assert name in explained, explained
    assert "Seq Scan on job_postings" not in explained, explained


async def test_the_search_function_reads_the_bigram_index(seeded, database_server):
    name = database_name(seeded)
    connection = await database_server.admin(name)
    try:
        async with connection.transaction():
            await connection.execute("SET LOCAL ROLE jobgraph_search")
            await connection.execute("SELECT set_config('jobgraph.pool', 'jobboard', true)")
            rows = await connection.fetch(
                "EXPLAIN SELECT id FROM job_postings WHERE pool_id = "
                "current_setting('jobgraph.pool', true) AND search_grams @> "
                "jobgraph_bigrams('日本語教師')"
            )
    finally:
        await connection.close()
    explained = "\n".join(row[0] for row in rows)
    assert "ix_job_postings_search_grams" in explained, explained


async def test_the_search_role_reads_nothing_but_the_index_columns(seeded, database_server):
    name = database_name(seeded)
    connection = await database_server.admin(name)
    try:
        async with connection.transaction():
            await connection.execute("SET LOCAL ROLE jobgraph_search")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.fetch("SELECT title FROM job_postings LIMIT 1")
        async with connection.transaction():
            await connection.execute("SET LOCAL ROLE jobgraph_search")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.fetch("SELECT email FROM accounts LIMIT 1")
    finally:
        await connection.close()
