"""Reads on the driver (db/driver.py): a kept statement run on asyncpg directly gives the
rows SQLAlchemy gives, value for value and type for type, counted like any statement."""

import asyncio
import contextlib

import asyncpg
import pytest
from sqlalchemy import func, select, text

from jobgraph.db.driver import POOL_SETTING, READS_ALONE
from jobgraph.db.engine import bind_pool, create_engine, kept_rows, plain_rows, session_factory
from jobgraph.jobs.enums import JobSort, RemoteOption
from jobgraph.jobs.models import JobPosting
from jobgraph.jobs.search import ALL_READS, JobFilter, JobQuery, page_statement, shown_on
from jobgraph.settings import Settings
from tests.conftest import database_name


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


async def test_a_read_alone_is_the_same_page_without_a_transaction(api):
    services = api.app.state.services
    partner = (await services.registry.current()).get("kansai-jobs")
    statement = page_statement(shown_on(partner), JobQuery(sort=JobSort.NEWEST), 20, None)
    async with bind_pool(services.sessions(), partner.pool_id) as session:
        in_the_session = await kept_rows(session, statement)
    async with bind_pool(services.sessions(), partner.pool_id) as session:
        before = api.statements.count
        alone = await kept_rows(session, statement, alone=True)
        assert not session.in_transaction()  # it never began the session's
        assert api.statements.count - before == 1  # the page (its connection's pool is set)
    assert alone == in_the_session


async def test_a_pool_a_read_alone_leaves_on_its_connection_reaches_no_other_use(
    database,
):
    """A read alone leaves its pool as its connection's setting, for the next read alone
    (of another pool: set anew): a session's transaction, or a connection used without
    one, never sees it (reads alone have connections of their own)."""
    engine = create_engine(database.app, Settings(db_pool_size=1))
    sessions = session_factory(engine)
    setting = text(f"SELECT pg_backend_pid(), current_setting('{POOL_SETTING}', true)")
    every_posting = select(JobPosting.pool_id).distinct()
    try:
        async with bind_pool(sessions(), "jobboard") as session:
            assert [list(row) for row in await kept_rows(session, every_posting, alone=True)] == [
                ["jobboard"]
            ]
            backend = (await session.execute(text("SELECT pg_backend_pid()"))).scalar()
        async with bind_pool(sessions(), "community") as session:  # the same connection
            assert [list(row) for row in await kept_rows(session, every_posting, alone=True)] == [
                ["community"]
            ]
        async with engine.connect() as connection:  # no pool of its own
            assert tuple((await connection.execute(setting)).one()) == (backend, "")
            assert (await connection.execute(every_posting)).all() == []
        async with bind_pool(sessions(), "community") as session:
            assert [list(row) for row in await kept_rows(session, every_posting, alone=True)] == [
                ["community"]
            ]
        async with sessions() as unbound:  # a session bound to no pool
            assert (await unbound.execute(setting)).one()[1] == ""
            assert (await unbound.execute(every_posting)).all() == []
    finally:
        await engine.dispose()


async def test_row_level_security_holds_for_a_read_alone(api):
    """No pool condition in the statement: PostgreSQL alone keeps the rows to the pool."""
    services = api.app.state.services
    every_posting = select(JobPosting.pool_id, JobPosting.id)
    pools = {}
    for pool in ("community", "jobboard"):
        async with bind_pool(services.sessions(), pool) as session:
            pools[pool] = {row[0] for row in await kept_rows(session, every_posting, alone=True)}
    assert pools == {"community": {"community"}, "jobboard": {"jobboard"}}


async def test_a_read_alone_stopped_mid_statement_leaves_no_connection_behind(api, database_server):
    """A request stopped while its read runs (its timeout, a client gone): the connection,
    in whatever state, leaves the pool, and the next reads are whole."""
    services = api.app.state.services
    running = (
        "SELECT 1 FROM pg_stat_activity WHERE state = 'active' "
        "AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()"
    )
    async with bind_pool(services.sessions(), "jobboard") as session:
        task = asyncio.create_task(kept_rows(session, select(func.pg_sleep(30)), alone=True))
        async with asyncio.timeout(10):
            while not await database_server.fetch(running):
                pass  # each check is a round trip to the server
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert READS_ALONE[services.engine.sync_engine].in_use() == 0
    for _ in range(services.settings.db_pool_size + 1):  # every pooled connection in turn
        async with bind_pool(services.sessions(), "jobboard") as session:
            rows = await kept_rows(session, select(JobPosting.id).limit(5), alone=True)
        assert len(rows) == 5


async def test_a_read_alone_replaces_connections_the_server_dropped(api, database, database_server):
    """No ping before a read alone (its first message probes the connection): one the
    server dropped is replaced, and the read answers, as after a restart."""
    services = api.app.state.services
    statement = select(JobPosting.id).limit(5)
    for _ in range(3):  # several connections in the pool
        async with bind_pool(services.sessions(), "jobboard") as session:
            await kept_rows(session, statement, alone=True)
    await database_server.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{database_name(database)}' AND usename = 'jobgraph_app'"
    )
    async with bind_pool(services.sessions(), "jobboard") as session:
        assert len(await kept_rows(session, statement, alone=True)) == 5


async def test_a_disposed_engine_closes_its_connections_of_reads_alone(database, database_server):
    """Reads alone have connections of their own beside the engine's pool: they close
    with the engine, and none is left open on the server."""
    engine = create_engine(database.app, Settings(db_pool_size=2))
    async with bind_pool(session_factory(engine)(), "jobboard") as session:
        [(backend,)] = await kept_rows(session, select(func.pg_backend_pid()), alone=True)
    assert READS_ALONE[engine.sync_engine].in_use() == 0
    alive = f"SELECT 1 FROM pg_stat_activity WHERE pid = {int(backend)}"
    assert await database_server.fetch(alive)
    await engine.dispose()
    async with asyncio.timeout(10):
        while await database_server.fetch(alive):
            pass  # each check is a round trip; the server ends the backend as it sees the close


async def test_reads_beyond_the_connections_wait_their_turn_and_a_stopped_one_gives_up_its_own(
    database,
):
    """Two connections for reads alone; while both are held, three reads wait. One stopped
    while it waits takes nothing with it; the others get the connections as they come back,
    in turn, and no more than two ever open."""
    engine = create_engine(database.app, Settings(db_pool_size=2))
    lane = READS_ALONE[engine.sync_engine]
    try:
        held = [await lane.acquire(), await lane.acquire()]
        waiting = [asyncio.create_task(lane.acquire()) for _ in range(3)]
        await asyncio.sleep(0)  # each runs up to its wait
        assert lane.in_use() == 2 and lane.waiting() == 3
        waiting[0].cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting[0]
        assert lane.waiting() == 2
        for connection in held:
            lane.release(connection)
        second, third = await asyncio.gather(*waiting[1:])
        assert {second, third} == set(held), "the same two connections, handed on"
        for connection in (second, third):
            assert await connection.fetchval("SELECT 1") == 1
            lane.release(connection)
        assert lane.in_use() == 0 and lane.waiting() == 0
        async with bind_pool(session_factory(engine)(), "jobboard") as session:
            [(backend,)] = await kept_rows(session, select(func.pg_backend_pid()), alone=True)
        assert backend in {connection.get_server_pid() for connection in held}
    finally:
        await engine.dispose()


async def test_a_closed_lane_refuses_reads_and_those_waiting(database):
    engine = create_engine(database.app, Settings(db_pool_size=1))
    lane = READS_ALONE[engine.sync_engine]
    held = await lane.acquire()
    waiting = asyncio.create_task(lane.acquire())
    await asyncio.sleep(0)  # it runs up to its wait for the one connection
    assert lane.waiting() == 1
    await engine.dispose()
    with pytest.raises(asyncpg.InterfaceError, match="closed"):
        await waiting
    with pytest.raises(asyncpg.InterfaceError, match="closed"):
        await lane.acquire()
    assert held.is_closed()


async def test_a_connection_given_back_as_a_waiting_read_is_stopped_goes_to_the_next(database):
    engine = create_engine(database.app, Settings(db_pool_size=1))
    lane = READS_ALONE[engine.sync_engine]
    try:
        held = await lane.acquire()
        first, second = (asyncio.create_task(lane.acquire()) for _ in range(2))
        await asyncio.sleep(0)  # both run up to their wait
        first.cancel()
        lane.release(held)  # before the stopped read has run again
        with pytest.raises(asyncio.CancelledError):
            await first
        assert await second is held
        assert lane.waiting() == 0 and lane.in_use() == 1
        lane.release(held)
        assert lane.in_use() == 0
    finally:
        await engine.dispose()
