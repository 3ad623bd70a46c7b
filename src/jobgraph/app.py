"""The ASGI application: routes and the request pipeline, read top to bottom.

/healthz, /readyz                 process and database health (no tenant)
/graphql                          TenantResolution -> SessionPerRequest -> GraphQL
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.routing import Route

from jobgraph import health
from jobgraph.db.engine import create_engine, session_factory
from jobgraph.db.http import SessionPerRequest
from jobgraph.db.urls import DatabaseUrls
from jobgraph.graphql.http import graphql_view
from jobgraph.settings import Settings
from jobgraph.tenancy.http import TenantResolution
from jobgraph.tenancy.registry import TenantRegistry


@dataclass
class Services:
    """What the process holds between requests, created at start-up, closed at shutdown."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    registry: TenantRegistry


def create_app(settings: Settings, urls: DatabaseUrls) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(urls.app, settings)
        sessions = session_factory(engine)
        try:
            async with sessions() as session:
                registry = await TenantRegistry.load(session)
        except Exception:
            # An unmigrated or unreachable database: serve health checks that say so.
            registry = TenantRegistry([])
        app.state.services = Services(engine, sessions, registry)
        try:
            yield
        finally:
            await engine.dispose()

    def services() -> Services:
        return app.state.services

    graphql = TenantResolution(
        SessionPerRequest(graphql_view(), lambda: services().sessions()),
        lambda: services().registry,
    )
    app = Starlette(
        routes=[
            Route("/healthz", health.healthz),
            Route("/readyz", health.readyz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )
    return app
