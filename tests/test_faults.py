"""The database goes away under the service: requests fail cleanly, and the service
recovers by itself when it comes back, without a restart."""

from tests.conftest import database_name, error_code

QUERY = "{ jobs(first: 3) { totalCount edges { node { title } } } }"


async def test_dropped_connections_are_replaced_without_a_restart(api, database, database_server):
    assert "errors" not in await api.graphql(QUERY, tenant="jobboard")
    name = database_name(database)
    await database_server.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{name}' AND usename = 'jobgraph_app'"
    )
    body = await api.graphql(QUERY, tenant="jobboard")
    assert "errors" not in body, body  # the pool noticed and reconnected


async def test_an_unreachable_database_is_a_clean_error_and_recovery_is_automatic(
    api, database, database_server
):
    assert "errors" not in await api.graphql(QUERY, tenant="jobboard")
    name = database_name(database)
    await database_server.execute("ALTER ROLE jobgraph_app CONNECTION LIMIT 0")
    try:
        await database_server.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND usename = 'jobgraph_app'"
        )
        response = await api.post(QUERY, tenant="jobboard")
        body = response.json()
        assert error_code(body) == "SERVICE_UNAVAILABLE", body
        message = body["errors"][0]["message"]
        assert "try again" in message and "Traceback" not in message
        assert (await api.http.get("/readyz")).status_code == 503
    finally:
        await database_server.execute("ALTER ROLE jobgraph_app CONNECTION LIMIT -1")
    assert "errors" not in await api.graphql(QUERY, tenant="jobboard")
    assert (await api.http.get("/readyz")).status_code == 200
