"""The database goes away under the service: requests fail cleanly, and the service
recovers by itself when it comes back, without a restart."""

import uuid

from tests.conftest import database_name, error_code

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
