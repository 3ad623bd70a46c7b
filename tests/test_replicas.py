"""Read replicas (JOBGRAPH_READ_DATABASE_URL) against a real streaming standby, made from the
test server with pg_basebackup: queries read from the standby, mutations never touch it, a
viewer's reads right after its own writes go to the primary, and a disclosure seen on the
standby is recorded on the primary."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from jobgraph.app import create_app
from jobgraph.db.embedded import EmbeddedPostgres
from jobgraph.db.engine import StatementCounter
from jobgraph.db.replicas import RecentWriters
from jobgraph.db.urls import DatabaseUrls
from tests.conftest import TEST_SETTINGS, Api, DatabaseServer, client_at, database_name
from tests.support.employers import employer_of
from tests.support.servers import REDIS_SERVER, copy_of_test_server, empty_redis_or_skip, on_server

JOB = "query($id: ID!) { job(id: $id) { id title } }"
APPLY = "mutation($j: ID!) { applyToJob(jobId: $j) { id } }"
APPLICANTS = "query($j: ID!) { applicants(jobId: $j) { candidate { fullName email } } }"


# How long the standby's replay may stand still before catching up counts as failed.
STALLED_S = 60


@dataclasses.dataclass
class Standby:
    server: EmbeddedPostgres
    primary: DatabaseServer

    def read_url(self, urls: DatabaseUrls) -> str:
        """The service's own URL, on the standby's socket."""
        return on_server(urls.app, self.server)

    def pause_replay(self) -> None:
        self.server.psql("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.server.psql("SELECT pg_wal_replay_resume()")

    async def caught_up(self) -> None:
        """Until the standby has replayed everything the primary has written by now."""
        connection = await self.primary.admin()
        try:
            lsn = await connection.fetchval("SELECT pg_current_wal_lsn()::text")
        finally:
            await connection.close()
        # Its replay includes every other test's writes (each test database's copy is
        # written to the log), and another test session's beside this one: on a busy
        # machine that takes minutes (120 s once was not enough). So it waits as long as
        # replay moves on, and fails only where replay stood still for STALLED_S.
        replayed, moved_at = "", time.monotonic()
        while True:
            done, now_at = self.server.psql(
                f"SELECT pg_last_wal_replay_lsn() >= '{lsn}', pg_last_wal_replay_lsn()"
            ).split("|")
            if done == "t":
                return
            if now_at != replayed:
                replayed, moved_at = now_at, time.monotonic()
            assert time.monotonic() - moved_at < STALLED_S, (
                f"the standby's replay stood still at {replayed} for {STALLED_S} s "
                f"(the primary is at {lsn})"
            )
            await asyncio.sleep(0.05)  # replay has no event to wait on from here


@pytest.fixture
def standby(database_server: DatabaseServer, database: DatabaseUrls) -> Iterator[Standby]:
    with copy_of_test_server(database_server.admin_url, "standby") as server:
        assert server.psql("SELECT pg_is_in_recovery()") == "t"
        yield Standby(server, database_server)


async def _served(urls: DatabaseUrls, standby: Standby, **settings: object) -> AsyncIterator:
    urls = dataclasses.replace(urls, read=standby.read_url(urls))
    app = create_app(TEST_SETTINGS.model_copy(update=settings), urls)
    async with app.router.lifespan_context(app):
        yield app


@pytest.mark.needs("a-copy-of-the-test-server")
async def test_queries_read_from_the_standby_and_writers_read_their_writes(database, standby):
    async for app in _served(database, standby):
        primary = StatementCounter.of(app.state.services.engine)
        replica = StatementCounter.of(app.state.services.read_engine)
        async with client_at(app, "192.0.2.1") as mine, client_at(app, "192.0.2.2") as theirs:
            employer = await employer_of(Api(app, mine), "jobboard")
            visitor = Api(app, theirs)

            # Nothing reaches the standby while it does not replay: what a visitor reads
            # from it shows no posting made from now on. Every request reads the tenant
            # registry's version from the standby (one statement); nothing else of a
            # mutation goes there (a write there would fail: a standby is read-only).
            standby.pause_replay()
            before = replica.count
            job_id = await employer.post(title="Harbour crane operator")  # two mutations
            assert replica.count == before + 2

            # The author reads its own write at once (from the primary)...
            seen = await employer.api.data(
                JOB, {"id": job_id}, tenant="jobboard", token=employer.token
            )
            assert seen["job"]["title"] == "Harbour crane operator"
            assert replica.count == before + 3
            # ...a visitor's query is answered by the standby, which does not have it yet.
            primary_before = primary.count
            assert (await visitor.data(JOB, {"id": job_id}, tenant="jobboard"))["job"] is None
            assert replica.count > before + 4
            assert primary.count == primary_before, "a visitor's query costs the primary nothing"

            standby.resume_replay()
            await standby.caught_up()
            found = await visitor.data(JOB, {"id": job_id}, tenant="jobboard")
            assert found["job"]["title"] == "Harbour crane operator"
            ready = (await visitor.http.get("/readyz")).json()
            assert ready["status"] == "ready" and ready["replicaLagSeconds"] >= 0


@pytest.mark.needs("a-copy-of-the-test-server")
async def test_a_disclosure_read_on_the_standby_is_recorded_on_the_primary(
    database, database_server, standby
):
    # Reads right after a write stay on the primary for no time at all here, so the
    # employer's query goes to the standby.
    async for app in _served(database, standby, read_your_writes_s=0.0):
        async with client_at(app, "192.0.2.3") as client:
            api = Api(app, client)
            employer = await employer_of(api, "jobboard")
            job_id = await employer.post(title="Night-shift nurse")
            seeker = (await api.sign_in("seeker2@jobboard.test", "jobboard"))["accessToken"]
            await api.data(APPLY, {"j": job_id}, tenant="jobboard", token=seeker)
            await standby.caught_up()

            replica = StatementCounter.of(app.state.services.read_engine)
            before = replica.count
            [applicant] = (
                await api.data(APPLICANTS, {"j": job_id}, tenant="jobboard", token=employer.token)
            )["applicants"]
            assert applicant["candidate"]["email"] == "seeker2@jobboard.test"
            assert replica.count > before, "the applicants were read from the standby"

    recorded = await database_server.fetch(
        "SELECT d.fields, d.reason FROM disclosures d JOIN accounts a "
        "ON a.id = d.subject_account_id WHERE a.email = 'seeker2@jobboard.test'",
        database_name(database),
    )
    [record] = recorded  # one record, written on the primary
    assert record["reason"] == "APPLICATION" and "EMAIL" in record["fields"]


@pytest.mark.parametrize(
    "store", ["memory", pytest.param("redis", marks=pytest.mark.needs("redis"))]
)
async def test_a_writer_is_remembered_for_the_window_in_each_store(store):
    redis_url = None
    if store == "redis":
        redis_url = empty_redis_or_skip(f"{REDIS_SERVER}/14")
    writers = RecentWriters(window_s=60, redis_url=redis_url)
    expired = RecentWriters(window_s=0.001, redis_url=redis_url)
    try:
        await writers.note("account:a", "pool:192.0.2.1")
        assert await writers.any_of("account:a")
        assert await writers.any_of("account:b", "pool:192.0.2.1")
        assert not await writers.any_of("account:b", "pool:192.0.2.2")
        await expired.note("account:c")
        await asyncio.sleep(0.01)  # the window is a time: only time can pass it
        assert not await expired.any_of("account:c")
    finally:
        await writers.close()
        await expired.close()


@pytest.mark.needs("a-copy-of-the-test-server")
async def test_reads_go_to_the_primary_while_the_standby_is_away(database, standby):
    """The standby stops: the next request finds it gone (each reads the registry's version
    there first) and is answered from the primary, as every one after it; /readyz stays
    ready and says so; the standby starts again: once the probe hears it, queries read
    there again."""
    async for app in _served(database, standby):
        services = app.state.services
        primary = StatementCounter.of(services.engine)
        replica = StatementCounter.of(services.read_engine)
        health = services.replica_health
        async with client_at(app, "192.0.2.3") as mine, client_at(app, "192.0.2.4") as theirs:
            employer = await employer_of(Api(app, mine), "jobboard")
            job_id = await employer.post(title="Lighthouse keeper")
            await standby.caught_up()
            visitor = Api(app, theirs)
            assert (await visitor.data(JOB, {"id": job_id}, tenant="jobboard"))["job"]

            standby.server.stop()
            for _ in range(2):
                before = primary.count
                found = await visitor.data(JOB, {"id": job_id}, tenant="jobboard")
                assert found["job"]["title"] == "Lighthouse keeper"
                assert primary.count > before, "read from the primary"
                assert health.away
            ready = await visitor.http.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["replica"].startswith("unreachable")

            standby.server.start()
            await asyncio.wait_for(health.back.wait(), timeout=60)
            before = replica.count
            assert (await visitor.data(JOB, {"id": job_id}, tenant="jobboard"))["job"]
            assert replica.count > before, "read from the standby again"
            assert "replicaLagSeconds" in (await visitor.http.get("/readyz")).json()
