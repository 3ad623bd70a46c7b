"""The database or Redis goes away under the service (PostgreSQL even restarted under a load
of applications): requests fail cleanly (or, for Redis, go on), nothing acknowledged is
lost, and the service recovers by itself when it comes back, without a restart."""

import asyncio
import collections
import shutil
import subprocess
import uuid

import asyncpg
import httpx
import pytest
import redis
from sqlalchemy.engine import make_url

from jobgraph.app import create_app
from jobgraph.db.urls import DatabaseUrls
from tests.conftest import TEST_SETTINGS, Api, database_name, error_code
from tests.support.employers import employer_of
from tests.support.needs import skip_for_want_of
from tests.support.servers import ServerOutput, copy_of_test_server, free_port, on_server

QUERY = "query($s: String) { jobs(first: 3, search: $s) { totalCount edges { node { title } } } }"


async def search(api, text: str | None = None) -> dict:
    """A search the service has not answered before (its results are not kept): it must
    reach the database."""
    return await api.graphql(QUERY, {"s": text or uuid.uuid4().hex}, tenant="jobboard")


async def test_dropped_connections_are_replaced_without_a_restart(api, database, database_server):
    assert "errors" not in await search(api)
    name = database_name(database)
    await database_server.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{name}' AND usename = 'jobgraph_app'"
    )
    body = await search(api)
    assert "errors" not in body, body  # the pool noticed and reconnected


async def test_an_unreachable_database_is_a_clean_error_and_recovery_is_automatic(
    api, database, database_server
):
    kept = await search(api, "engineer")
    assert "errors" not in kept
    name = database_name(database)
    # This database only: the role is the whole server's, which another test session
    # beside this one uses too.
    await database_server.execute(f'ALTER DATABASE "{name}" CONNECTION LIMIT 0')
    try:
        await database_server.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND usename = 'jobgraph_app'"
        )
        body = await search(api)
        assert error_code(body) == "SERVICE_UNAVAILABLE", body
        message = body["errors"][0]["message"]
        assert "try again" in message and "Traceback" not in message
        assert (await api.http.get("/readyz")).status_code == 503
        # A search answered moments ago is still answered from its kept results.
        assert (await search(api, "engineer"))["data"] == kept["data"]
    finally:
        await database_server.execute(f'ALTER DATABASE "{name}" CONNECTION LIMIT -1')
    assert "errors" not in await search(api)
    assert (await api.http.get("/readyz")).status_code == 200


class PrivateRedis:
    """A Redis server of this test's own (Debian's redis-server), on a port of its own, that
    the test stops and starts again."""

    def __init__(self, directory) -> None:
        self.port = free_port()
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        ServerOutput(self.process).until("Ready to accept connections")

    def stop(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        self.process.terminate()
        self.process.wait(timeout=30)
        self.process.stdout.close()

    def keys(self) -> int:
        return len(redis.Redis.from_url(self.url).keys("*"))


SIGN_IN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"


@pytest.mark.needs("redis-server")
async def test_the_rate_limits_go_on_without_redis_and_count_there_again_when_it_is_back(
    serve, database, tmp_path
):
    """What operations.md says: while Redis is away, each process counts on its own (the
    service answers as before, the limits hold per process); once it is back, the counts
    are shared again."""
    if shutil.which("redis-server") is None:
        skip_for_want_of("redis-server", "Debian's redis-server is not installed")
    private = PrivateRedis(tmp_path)
    private.start()
    try:
        settings = TEST_SETTINGS.model_copy(update={"redis_url": private.url})
        async with serve(database, settings) as api:
            limiter = api.app.state.services.limiter
            stranger = {"e": f"{uuid.uuid4().hex}@jobboard.test", "p": "wrong-password-1"}

            async def sign_in() -> str | None:
                return error_code(await api.graphql(SIGN_IN, stranger, tenant="jobboard"))

            assert await sign_in() == "UNAUTHENTICATED"
            assert private.keys() > 0, "counted in Redis"
            private.stop()
            # Five attempts a minute per account, counted in this process now.
            codes = [await sign_in() for _ in range(6)]
            assert codes == ["UNAUTHENTICATED"] * 5 + ["RATE_LIMITED"]
            assert limiter.redis.away
            private.start()  # empty: what was counted while it was away stays here
            assert await sign_in() == "UNAUTHENTICATED"
            assert not limiter.redis.away and private.keys() > 0, "counted in Redis again"
    finally:
        if private.process is not None and private.process.poll() is None:
            private.stop()


APPLY = "mutation($j: ID!) { applyToJob(jobId: $j) { id } }"
ENDPOINT = """mutation($c: ID!) { createWebhookEndpoint(
  url: "https://hooks.example.com/jobgraph", events: [APPLICATION_RECEIVED], companyId: $c
) { endpoint { id } } }"""


@pytest.fixture
def private_primary(database_server, database):
    """A PostgreSQL of this test's own to restart (a promoted copy of the test server, this
    test's database in it): the suite's own server, which other tests and another `make
    test` beside this one use, is never stopped."""
    with copy_of_test_server(database_server.admin_url, "restarted") as server:
        server.promote()
        assert server.psql("SELECT pg_is_in_recovery()") == "f"
        yield server


@pytest.mark.needs("a-copy-of-the-test-server")
async def test_a_restart_of_postgresql_under_load_loses_no_acknowledged_application(
    database, private_primary
):
    """Six seekers apply to eight postings each, side by side, while PostgreSQL stops and
    starts again: a request while it is down is answered SERVICE_UNAVAILABLE and the
    seeker tries again once it is back; afterwards every application acknowledged is
    there, each with the webhook delivery written in its transaction (nothing half
    written), and none twice."""
    urls = DatabaseUrls(
        admin=on_server(database.admin, private_primary),
        app=on_server(database.app, private_primary),
    )
    app = create_app(TEST_SETTINGS, urls)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            api = Api(app, http)
            employer = await employer_of(api, "jobboard")
            await api.data(
                ENDPOINT, {"c": employer.company_id}, tenant="jobboard", token=employer.token
            )
            jobs = [await employer.post(title=f"Restart-proof job {n}") for n in range(8)]
            seekers = [
                (await api.sign_in(f"seeker{n}@jobboard.test", "jobboard"))["accessToken"]
                for n in range(1, 7)
            ]
            acknowledged: set[str] = set()
            codes: collections.Counter[str | None] = collections.Counter()
            halfway, back = asyncio.Event(), asyncio.Event()

            async def apply_to_each(token: str) -> None:
                for job_id in jobs:
                    for _attempt in range(50):
                        body = await api.graphql(
                            APPLY, {"j": job_id}, tenant="jobboard", token=token
                        )
                        code = error_code(body) if body.get("errors") else None
                        codes[code] += 1
                        if code is None:
                            acknowledged.add(body["data"]["applyToJob"]["id"])
                            if len(acknowledged) == 12:
                                halfway.set()
                            break
                        if code == "BAD_USER_INPUT":  # applied before the restart, unheard
                            assert "already applied" in body["errors"][0]["message"], body
                            break
                        assert code == "SERVICE_UNAVAILABLE", body
                        await back.wait()  # as a client would: try again once it answers
                    else:
                        raise AssertionError(f"{job_id} never applied to: {codes}")

            async def restart() -> None:
                await halfway.wait()
                await asyncio.to_thread(private_primary.stop)
                assert not private_primary.is_running()
                down = await api.graphql(APPLY, {"j": jobs[0]}, tenant="jobboard", token=seekers[0])
                assert error_code(down) == "SERVICE_UNAVAILABLE", down
                assert "try again" in down["errors"][0]["message"]
                assert (await http.get("/readyz")).status_code == 503
                await asyncio.to_thread(private_primary.start)
                back.set()

            await asyncio.gather(restart(), *(apply_to_each(token) for token in seekers))
            assert (await http.get("/readyz")).status_code == 200

    assert set(codes) <= {None, "SERVICE_UNAVAILABLE", "BAD_USER_INPUT"}, codes
    admin = make_url(urls.admin).set(drivername="postgresql")
    connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        rows = await connection.fetch(
            "SELECT a.id::text AS id, count(d.id) AS deliveries FROM applications a "
            "LEFT JOIN webhook_deliveries d ON d.payload -> 'data' ->> 'applicationId' = "
            "a.id::text WHERE a.job_id = ANY($1::uuid[]) GROUP BY a.id",
            jobs,
        )
    finally:
        await connection.close()
    assert len(rows) == len(jobs) * len(seekers), "one application per seeker and posting"
    assert acknowledged <= {row["id"] for row in rows}, "every acknowledged one is there"
    assert all(row["deliveries"] == 1 for row in rows), "each with its delivery, once"
