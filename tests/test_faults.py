"""The database or Redis goes away under the service: requests fail cleanly (or, for
Redis, go on), and the service recovers by itself when it comes back, without a restart."""

import shutil
import subprocess
import uuid

import pytest
import redis

from tests.conftest import TEST_SETTINGS, database_name, error_code
from tests.support.servers import ServerOutput, free_port

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
    await database_server.execute("ALTER ROLE jobgraph_app CONNECTION LIMIT 0")
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
        assert await search(api, "engineer") == kept
    finally:
        await database_server.execute("ALTER ROLE jobgraph_app CONNECTION LIMIT -1")
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


async def test_the_rate_limits_go_on_without_redis_and_count_there_again_when_it_is_back(
    serve, database, tmp_path
):
    """What operations.md says: while Redis is away, each process counts on its own (the
    service answers as before, the limits hold per process); once it is back, the counts
    are shared again."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs Redis: Debian's redis-server is not installed")
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
            assert limiter.redis_away
            private.start()  # empty: what was counted while it was away stays here
            assert await sign_in() == "UNAUTHENTICATED"
            assert not limiter.redis_away and private.keys() > 0, "counted in Redis again"
    finally:
        if private.process is not None and private.process.poll() is None:
            private.stop()
