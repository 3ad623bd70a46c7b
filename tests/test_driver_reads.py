"""Reads on the driver (db/driver.py): a kept statement run on asyncpg directly gives the
rows SQLAlchemy gives, value for value and type for type, counted like any statement."""

from jobgraph.db.engine import bind_pool, kept_rows, plain_rows
from jobgraph.jobs.enums import JobSort, RemoteOption
from jobgraph.jobs.search import ALL_READS, JobFilter, JobQuery, page_statement, shown_on


async def test_a_page_read_on_the_driver_is_the_page_sqlalchemy_reads(api):
    services = api.app.state.services
    sites = await services.registry.current()
    partner = sites.get("kansai-jobs")  # two branches: an IN list, the clock, enums
    queries = [
        JobQuery(sort=JobSort.NEWEST),
        JobQuery(
            sort=JobSort.SALARY,
            filter=JobFilter(
                visa_sponsorship=False, remote=[RemoteOption.NONE, RemoteOption.HYBRID]
            ),
        ),
    ]
    for query in queries:
        statement = page_statement(shown_on(partner), query, 20, None, ALL_READS)
        async with bind_pool(services.sessions(), partner.pool_id) as session:
            by_sqlalchemy = await plain_rows(session, statement)
        async with bind_pool(services.sessions(), partner.pool_id) as session:
            before = api.statements.count
            on_driver = await kept_rows(session, statement)
            sent = api.statements.count - before
        assert len(on_driver) == len(by_sqlalchemy) > 0
        for mine, theirs in zip(on_driver, by_sqlalchemy, strict=True):
            assert list(mine) == list(theirs)
            assert [type(value) for value in mine] == [type(value) for value in theirs]
        assert sent == 2  # the transaction's pool setting, the page
