"""Migrations, readiness and the refusal to serve an unmigrated database."""

import logging

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from graphql import GraphQLError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from jobgraph.cli import main
from jobgraph.db.engine import create_engine
from jobgraph.db.migrate import head_revision
from jobgraph.graphql.errors import shape_error
from jobgraph.settings import get_settings
from jobgraph.tables import metadata
from tests.conftest import TEST_SETTINGS


async def test_migrations_match_the_models(database):
    engine = create_async_engine(database.admin)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
    finally:
        await engine.dispose()
    assert diff == [], "models and migrations differ; add a migration for: " + repr(diff)


async def test_json_values_read_as_json_reads_them(database):
    engine = create_engine(database.app, TEST_SETTINGS)
    try:
        async with engine.connect() as connection:
            read = await connection.execute(
                text(
                    """SELECT '{"n": 123456789012345678901234567890, "s": "大阪"}'::jsonb, """
                    """'  [1, 2.5] '::json, '[]'::jsonb"""
                )
            )
            values = list(read.one())
    finally:
        await engine.dispose()
    assert values == [{"n": 123456789012345678901234567890, "s": "大阪"}, [1, 2.5], []]


async def test_ready_on_a_migrated_database(api):
    response = await api.http.get("/readyz")
    assert response.status_code == 200
    nothing_waits = {"queued": 0, "oldestSeconds": 0.0}
    assert response.json() == {
        "status": "ready",
        "revision": head_revision(),
        "work": {"queues": {"mail": nothing_waits, "webhooks": nothing_waits}, "schedule": {}},
    }
    assert (await api.http.get("/healthz")).json() == {"status": "ok"}


async def test_not_ready_on_an_unmigrated_database(fresh_database, serve):
    async with serve(fresh_database) as api:
        response = await api.http.get("/readyz")
        assert (await api.http.get("/healthz")).status_code == 200
    assert response.status_code == 503
    assert response.json()["reason"] == "database not migrated"
    assert "jobgraph migrate" in response.json()["fix"]


def test_serve_refuses_an_unmigrated_database_and_says_what_to_run(fresh_database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", fresh_database.admin)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["serve", "--no-sync-tenants"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert "has never been migrated" in result.output
    assert "Run `jobgraph migrate`" in result.output


def test_migrate_and_sync_commands_prepare_a_fresh_database(fresh_database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", fresh_database.admin)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["migrate"])
        assert result.exit_code == 0, result.output
        result = CliRunner().invoke(main, ["tenants", "sync"])
        assert result.exit_code == 0, result.output
        assert "created: community, jobboard, kansai-jobs" in result.output
    finally:
        get_settings.cache_clear()


def test_unexpected_errors_are_masked_and_logged_with_a_reference(caplog):
    try:
        raise RuntimeError("secret detail: password=hunter2")
    except RuntimeError as error:
        graphql_error = GraphQLError("boom", original_error=error)
    with caplog.at_level(logging.ERROR, logger="jobgraph.errors"):
        shaped = shape_error(graphql_error)
    assert shaped.extensions["code"] == "INTERNAL"
    assert "hunter2" not in shaped.message
    reference = shaped.extensions["reference"]
    assert reference in shaped.message
    assert any(reference in record.getMessage() and record.exc_info for record in caplog.records)


def test_an_exhausted_connection_pool_is_a_clean_service_unavailable():
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    waited = PoolTimeout("QueuePool limit of size 10 overflow 10 reached")
    shaped = shape_error(GraphQLError("boom", original_error=waited))
    assert shaped.extensions["code"] == "SERVICE_UNAVAILABLE"
    assert "try again shortly" in shaped.message


def test_serve_refuses_the_published_secret_beyond_loopback_and_says_how_to_set_one(
    monkeypatch,
):
    monkeypatch.delenv("JOBGRAPH_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert "JOBGRAPH_SECRET_KEY is the development value" in result.output
    assert "export JOBGRAPH_SECRET_KEY=" in result.output


@pytest.mark.parametrize(("proxies", "codes"), [("", [200, 200, 429]), ("127.0.0.1", [200] * 3)])
async def test_forwarded_addresses_count_only_from_a_trusted_proxy(
    database, reconfigure, proxies, codes
):
    from tests.support.browser import listening

    await reconfigure({"jobboard": {"policy": {"api": {"anonymous_requests_per_minute": 2}}}})
    settings = TEST_SETTINGS.model_copy(update={"trusted_proxies": proxies})
    async with listening(database, settings=settings) as port, httpx.AsyncClient() as client:
        answers = [
            await client.post(
                f"http://127.0.0.1:{port}/graphql",
                json={"query": "{ tenant { slug } }"},
                headers={"X-Tenant": "jobboard", "X-Forwarded-For": f"203.0.113.{number}"},
            )
            for number in range(3)
        ]
    # Untrusted, the header is ignored: three requests from one address (127.0.0.1).
    assert [answer.status_code for answer in answers] == codes
