"""The test harness: one real PostgreSQL per test session, one fresh database per test.

The server is the embedded PostgreSQL (in .data/postgres-test), or the one DATABASE_URL
names. It is migrated once into a template database holding the demo tenants and demo
data; each test gets its own copy (CREATE DATABASE ... TEMPLATE), dropped afterwards. We
chose copies over rolling back a per-test transaction because the service under test opens
its own connections (one session per request, as the non-owner role): a copy isolates
those too, costs tens of milliseconds, and lets a test commit like production does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pyotp
import pytest
import tomlkit
from sqlalchemy.engine import make_url

from jobgraph.app import create_app
from jobgraph.db.embedded import EmbeddedPostgres
from jobgraph.db.engine import StatementCounter
from jobgraph.db.migrate import lockdown_statements, upgrade
from jobgraph.db.urls import DatabaseUrls
from jobgraph.demo import DEMO_OPERATOR, DEMO_PASSWORD, DEMO_TOTP_SECRET
from jobgraph.settings import PROJECT_ROOT, Settings

# Tests marked by the infrastructure they need, listed by it where skipped.
pytest_plugins = ["tests.support.needs"]

TEST_SETTINGS = Settings(
    database_url=None,
    data_dir=PROJECT_ROOT / ".data",
    tenants_dir=PROJECT_ROOT / "tests" / "tenants",
    db_pool_size=5,
    metrics_token="test-metrics-token",
    # Tests run the periodic work (webhooks and mail, to receivers on this machine; alerts;
    # reminders) when they choose.
    work_in_serve=False,
    webhooks_allow_private=True,
)


@dataclass
class DatabaseServer:
    """Where test databases are made: an admin URL whose database part we replace."""

    admin_url: str

    def admin_url_for(self, database: str) -> str:
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    def urls_for(self, database: str) -> DatabaseUrls:
        return DatabaseUrls.from_admin(self.admin_url_for(database), TEST_SETTINGS)

    async def admin(self, database: str = "postgres") -> asyncpg.Connection:
        url = make_url(self.admin_url_for(database)).set(drivername="postgresql")
        return await asyncpg.connect(url.render_as_string(hide_password=False))

    async def fetch(self, sql: str, database: str = "postgres") -> list[asyncpg.Record]:
        connection = await self.admin(database)
        try:
            return await connection.fetch(sql)
        finally:
            await connection.close()

    async def execute(self, sql: str, database: str = "postgres") -> None:
        connection = await self.admin(database)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()


def database_name(urls: DatabaseUrls) -> str:
    """The name of a test's database, for statements run on it as the admin."""
    name = make_url(urls.admin).database
    assert name
    return name


@pytest.fixture(scope="session")
def database_server() -> Iterator[DatabaseServer]:
    if os.environ.get("DATABASE_URL"):
        yield DatabaseServer(
            DatabaseUrls.from_admin(os.environ["DATABASE_URL"], TEST_SETTINGS).admin
        )
        return
    embedded = EmbeddedPostgres(TEST_SETTINGS.data_dir, name="postgres-test")
    embedded.start()
    server = DatabaseServer(embedded.url())
    try:
        yield server
    finally:
        # The server is the test sessions' of this checkout: another one (a second `make
        # test` beside this one, whichever started it) uses it while its template database
        # is there, and the last one to end stops it.
        others = asyncio.run(
            server.fetch("SELECT 1 FROM pg_database WHERE datname LIKE 'jobgraph_template_%'")
        )
        if not others:
            embedded.force_stop()


@pytest.fixture(scope="session")
def template_database(database_server: DatabaseServer) -> Iterator[str]:
    """A migrated database with the demo tenants and demo data: every test's starting point."""
    name = f"jobgraph_template_{uuid.uuid4().hex[:8]}"
    asyncio.run(database_server.execute(f'CREATE DATABASE "{name}"'))
    urls = database_server.urls_for(name)
    upgrade(urls.admin, TEST_SETTINGS.app_db_password)
    asyncio.run(_load_demo(urls))
    yield name
    asyncio.run(database_server.execute(f'DROP DATABASE "{name}" WITH (FORCE)'))


async def _load_demo(urls: DatabaseUrls) -> None:
    from jobgraph.db.engine import create_engine, session_factory
    from jobgraph.demo import load_demo
    from jobgraph.graphql.hooks import tenancy_hooks
    from jobgraph.tenancy.files import load_tenant_dir
    from jobgraph.tenancy.registry import TenantRegistry
    from jobgraph.tenancy.sync import sync_tenants

    engine = create_engine(urls.app, TEST_SETTINGS)
    sessions = session_factory(engine)
    async with sessions() as session:
        await sync_tenants(
            session, load_tenant_dir(TEST_SETTINGS.tenants_dir), hooks=tenancy_hooks()
        )
    async with sessions() as session:
        registry = await TenantRegistry.load(session)
    await load_demo(sessions, registry, TEST_SETTINGS.secret_key)
    await engine.dispose()


@pytest.fixture
async def fresh_database(database_server: DatabaseServer) -> AsyncIterator[DatabaseUrls]:
    """An empty database (never migrated)."""
    async for urls in _temporary_database(database_server, template=None):
        yield urls


@pytest.fixture
async def database(
    database_server: DatabaseServer, template_database: str
) -> AsyncIterator[DatabaseUrls]:
    """A private copy of the template database for one test."""
    async for urls in _temporary_database(database_server, template=template_database):
        yield urls


async def _temporary_database(
    server: DatabaseServer, template: str | None
) -> AsyncIterator[DatabaseUrls]:
    name = f"jobgraph_test_{uuid.uuid4().hex[:12]}"
    clause = f' TEMPLATE "{template}"' if template else ""
    await server.execute(f'CREATE DATABASE "{name}"{clause}')
    if template:
        # A copy does not inherit the database's grants: lock it down as migrate does.
        for statement in lockdown_statements(name):
            await server.execute(statement, database=name)
    try:
        yield server.urls_for(name)
    finally:
        await server.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def client_at(app: object, address: str) -> httpx.AsyncClient:
    """A client whose requests come from ``address`` (a visitor of its own)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


class Api:
    """Talks to the app over HTTP (ASGI), as a tenant: ``await api.graphql(query, host=...)``."""

    def __init__(self, app: Any, client: httpx.AsyncClient) -> None:
        self.app = app
        self.http = client

    @contextlib.asynccontextmanager
    async def announced(self) -> AsyncIterator[None]:
        """Around a change made outside this app (a sync, another process): until the app
        has heard PostgreSQL announce it, as every listening process does."""
        heard = self.app.state.services.registry.next_announcement()
        yield
        await asyncio.wait_for(heard, 10)

    @property
    def statements(self) -> StatementCounter:
        return StatementCounter.of(self.app.state.services.engine)

    async def indexed(self) -> None:
        """Until this app's facet index of every pool holds the data version the app has
        heard of (built now if need be): what a search's counts cost then does not depend
        on whether a build in the background has finished."""
        services = self.app.state.services
        registry = await services.registry.current()
        if services.facet_indexes is not None:
            for pool in registry.pools():
                version = services.registry.data_versions.get(pool, 0)
                await services.facet_indexes.ready(pool, version)

    async def post(
        self,
        query: str,
        variables: dict | None = None,
        *,
        host: str | None = None,
        tenant: str | None = None,
        headers: dict | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if tenant:
            sent["X-Tenant"] = tenant
        if host:
            sent["Host"] = host
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=sent
        )

    async def graphql(self, query: str, variables: dict | None = None, **kwargs: Any) -> dict:
        response = await self.post(query, variables, **kwargs)
        assert response.headers["content-type"].startswith("application/json"), response.text
        return response.json()

    async def data(self, query: str, variables: dict | None = None, **kwargs: Any) -> dict:
        """The data of a request that must succeed."""
        body = await self.graphql(query, variables, **kwargs)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def sign_in(self, email: str, tenant: str, password: str = DEMO_PASSWORD) -> dict:
        """Log in through the API; returns the AuthPayload (accessToken, refreshToken...)."""
        data = await self.data(LOGIN, {"email": email, "password": password}, tenant=tenant)
        return data["login"]

    async def staff_sign_in(self, email: str, tenant: str) -> dict:
        """Sign in as one of the demo's staff, and pass the second factor as their
        authenticator app would (staff powers need it)."""
        tokens = await self.sign_in(email, tenant)
        await self.data(
            "mutation($c: String!) { verifySecondFactor(code: $c) { secondFactorVerified } }",
            {"c": demo_code()},
            tenant=tenant,
            token=tokens["accessToken"],
        )
        return tokens

    async def operator_token(self, tenant: str = "jobboard") -> str:
        data = await self.data(
            "mutation($e: String!, $p: String!, $c: String!) { operatorLogin(email: $e, "
            "password: $p, code: $c) { accessToken } }",
            {"e": DEMO_OPERATOR, "p": DEMO_PASSWORD, "c": demo_code()},
            tenant=tenant,
        )
        return data["operatorLogin"]["accessToken"]


def demo_code() -> str:
    """What the demo staff's authenticator app shows now."""
    return pyotp.TOTP(DEMO_TOTP_SECRET).now()


LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken refreshToken expiresIn tokenType }
}"""


def error_code(body: dict) -> str:
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]["code"]


# The apps serving right now: a change made behind their backs (``reconfigure``) waits
# until each has heard of it.
_SERVING: list[Any] = []


async def _serve(urls: DatabaseUrls, settings: Settings = TEST_SETTINGS) -> AsyncIterator[Api]:
    app = create_app(settings, urls)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            _SERVING.append(app)
            try:
                yield Api(app, client)
            finally:
                _SERVING.remove(app)


@pytest.fixture
async def api(database: DatabaseUrls) -> AsyncIterator[Api]:
    async for served in _serve(database):
        yield served


@pytest.fixture
def serve() -> Any:
    """Start an extra app instance on given URLs (and settings): ``async with serve(urls)
    as api: ...``."""
    import contextlib

    return contextlib.asynccontextmanager(_serve)


def _merge(document: Any, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if value is None:
            document.pop(key, None)
        elif isinstance(value, dict):
            if key not in document:
                document[key] = tomlkit.table()
            _merge(document[key], value)
        else:
            document[key] = value


@pytest.fixture
def reconfigure(database: DatabaseUrls, tmp_path: Any) -> Any:
    """Change the tests' tenant files and sync them into this test's database:
    ``await reconfigure({"jobboard": {"policy": {"api": {"require_site_key": True}}}})``
    merges each site's changes into its file (None removes a key). Start the app
    afterwards (the ``serve`` fixture) so that it loads the changed tenants."""
    import shutil

    from jobgraph.db.engine import create_engine, session_factory
    from jobgraph.graphql.hooks import tenancy_hooks
    from jobgraph.tenancy.files import load_tenant_dir
    from jobgraph.tenancy.sync import sync_tenants

    async def apply(edits: dict[str, dict[str, Any]]) -> None:
        for path in TEST_SETTINGS.tenants_dir.glob("*.toml"):
            shutil.copy(path, tmp_path / path.name)
        for slug, changes in edits.items():
            path = tmp_path / f"{slug}.toml"
            document = tomlkit.parse(path.read_text())
            _merge(document, changes)
            path.write_text(tomlkit.dumps(document))
        heard = [app.state.services.registry.next_announcement() for app in _SERVING]
        engine = create_engine(database.app, TEST_SETTINGS)
        try:
            async with session_factory(engine)() as session:
                report = await sync_tenants(
                    session, load_tenant_dir(tmp_path), hooks=tenancy_hooks()
                )
        finally:
            await engine.dispose()
        if report.updated or report.created:
            await asyncio.wait_for(asyncio.gather(*heard), 10)
        else:
            for future in heard:
                future.cancel()

    return apply


@pytest.fixture
def provider() -> Iterator[Any]:
    """A tenant's own OpenID Connect provider on this machine (tests/identity/test_oidc.py)."""
    from tests.support.oidc import Provider

    provider = Provider()
    yield provider
    provider.server.shutdown()
    provider.server.server_close()


@pytest.fixture
async def unmetered(reconfigure: Any) -> None:
    """The demo sites with cost budgets no test's one address can spend, for tests that
    compare answers: a throttled answer says what the caller's bucket held at the time."""
    unlimited = {"cost_budget": 10**7, "cost_restore_per_second": 10**6}
    await reconfigure(
        {slug: {"policy": {"api": unlimited}} for slug in ("jobboard", "kansai-jobs", "community")}
    )


@pytest.fixture
def outbox(database_server: DatabaseServer, database: DatabaseUrls) -> Any:
    """The mail queued for an address: ``await outbox("ann@example.org", "KIND")``, oldest
    first, as (kind, subject, body) dicts."""

    async def read(recipient: str, kind: str | None = None) -> list[dict]:
        connection = await database_server.admin(database_name(database))
        try:
            rows = await connection.fetch(
                "SELECT kind, subject, body FROM notifications WHERE lower(recipient) = "
                "lower($1) AND ($2::text IS NULL OR kind = $2) ORDER BY created_at",
                recipient,
                kind,
            )
        finally:
            await connection.close()
        return [dict(row) for row in rows]

    return read


def code_in(body: str) -> str:
    """The code a mail carries on a paragraph of its own."""
    return body.split("\n\n")[1].strip()
