"""The ASGI application: routes and the request pipeline, read top to bottom.

Every request passes RequestLog (request id, one log line, metrics); every response
SecurityHeaders. Then, by route:

/healthz, /readyz            process and database health (no tenant)
/.well-known/jwks.json       the public keys that verify jobgraph's access tokens
/metrics                     Prometheus metrics
/unsubscribe                 TenantResolution -> TenantCors -> SessionPerRequest
                             -> the page an announcement's unsubscribe link opens
/console                     TenantResolution -> the employer console (GraphiQL), branded
/console/assets/{name}       its scripts and styles, served from this package (no CDN)
/static/{slug}/{name}        a site's own files (its logo), from the tenants directory
/schema.graphql              TenantResolution -> the site's public SDL
/widget/jobgraph-search.js   the embeddable job search (a web component)
/oauth/token                 TenantResolution -> TenantCors -> SessionPerRequest
                             -> client credentials
/graphql                     Shed (LoadShedding) -> TenantResolution -> TenantCors
                             -> PublicReads (cached public reads) -> SessionPerRequest
                             -> GraphQLOverHttp -> Authentication -> TrustedDocuments
                             -> GraphQL (the viewer and the tenant in its context;
                             queries over public data run by plan: graphql/compiled.py)
/graphql (WebSocket)         TenantResolution -> subscriptions in graphql-transport-ws,
                             signed in by connection_init (graphql/subscriptions.py)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import json
import logging
import os
from collections.abc import AsyncIterator

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute, request_response
from starlette.types import ASGIApp

from jobgraph import health
from jobgraph.caches import CacheEvent, Caches
from jobgraph.communications.http import unsubscribe_page
from jobgraph.console.routes import console_asset, console_page
from jobgraph.db.engine import create_engine, open_connections, session_factory
from jobgraph.db.http import SessionPerRequest
from jobgraph.db.listening import Listener
from jobgraph.db.maintenance import vacuum
from jobgraph.db.replicas import RecentWriters, ReplicaHealth
from jobgraph.db.urls import DatabaseUrls
from jobgraph.graphql.documents import TrustedDocuments
from jobgraph.graphql.hooks import identity_hooks, tenancy_hooks, webhook_hooks
from jobgraph.graphql.http import graphql_view, public_schema
from jobgraph.graphql.public_reads import PublicReads
from jobgraph.graphql.schema import schema
from jobgraph.graphql.services import Services
from jobgraph.graphql.transport import GraphQLOverHttp
from jobgraph.http_security import SecurityHeaders, TenantCors
from jobgraph.identity.http import Authentication
from jobgraph.identity.keys import KeyRing
from jobgraph.identity.oauth import token_endpoint
from jobgraph.identity.oidc import ProviderKeys
from jobgraph.identity.tokens import TokenService
from jobgraph.jobs.facet_index import FacetIndexes
from jobgraph.jobs.http import indeed_feed, job_json_ld, sitemap
from jobgraph.jobs.search import SearchResults
from jobgraph.live import LiveEvents
from jobgraph.notifications.senders import sender_from
from jobgraph.observability import Metrics, RequestLog, metrics_endpoint
from jobgraph.ratelimit import CostBuckets, RateLimiter
from jobgraph.settings import Settings
from jobgraph.shedding import LoadShedding, Shed
from jobgraph.tables import POOL_OWNED_TABLES
from jobgraph.tenancy.http import TenantResolution
from jobgraph.tenancy.registry import RegistryCache
from jobgraph.tenancy.static import tenant_static_file
from jobgraph.waiting import stop
from jobgraph.widget.routes import WIDGET_PATH, widget_script
from jobgraph.work.periodic import run_work

log = logging.getLogger(__name__)


async def jwks(request: Request) -> JSONResponse:
    keys = await request.app.state.services.tokens.keyring.jwks()
    return JSONResponse(keys, headers={"Cache-Control": "public, max-age=300"})


async def _first_signing_key(keyring: KeyRing) -> None:
    """A partner that fetches the JWKS at start-up must find a key in it."""
    try:
        await keyring.ensure()
    except (ProgrammingError, OSError, OperationalError) as error:
        # Unmigrated or unreachable: /readyz says so; the key is made on first use.
        log.warning("no signing key made at start-up: %s", type(error).__name__)


def _listening_url(urls: DatabaseUrls, settings: Settings) -> str | None:
    """Where the process hears announcements: the primary, on a connection of its own; not
    through PgBouncer in transaction mode (no LISTEN there) unless given a direct URL."""
    url = settings.listen_database_url
    if url is None and not settings.transaction_pooling:
        url = urls.app
    if url is None:
        return None
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_app(
    settings: Settings, urls: DatabaseUrls, *, work: bool | None = None, warm: bool = False
) -> Starlette:
    """The service; ``work``: whether it runs the periodic work (``work/periodic.py``),
    by default as JOBGRAPH_WORK_IN_SERVE says; ``warm``: whether it readies itself for
    its first requests before it serves (``warm_up``: `jobgraph serve` does)."""
    run_periodic_work = settings.work_in_serve if work is None else work

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(urls.app, settings)
        sessions = session_factory(engine)
        read_engine = create_engine(urls.read, settings) if urls.read else None
        replica_health = ReplicaHealth(read_engine) if read_engine else None
        listener = Listener(_listening_url(urls, settings))
        caches = Caches()
        provider_keys = ProviderKeys(caches)
        live = LiveEvents(
            listener,
            settings.redis_url if settings.live_events == "redis" else None,
            slots_url=settings.redis_url,
        )
        shedding = LoadShedding(settings.max_concurrent_requests, settings.queue_timeout_s)
        app.state.services = Services(
            settings=settings,
            engine=engine,
            sessions=sessions,
            # With a replica, the pools' data versions are read where the data is read,
            # so a cached public read never holds older data than its version says.
            # With a replica, the registry reads there and cannot rely on an announcement
            # (the replica may not have replayed the change yet): it checks each request.
            registry=RegistryCache(
                session_factory(read_engine) if read_engine else sessions,
                listener=None if read_engine else listener,
                primary=sessions,
                use_primary=lambda: replica_health is not None and replica_health.away,
                replica_failed=replica_health.mark_away if replica_health else None,
                on_reload=functools.partial(caches.clear, CacheEvent.SITES_CHANGED),
            ),
            tokens=TokenService(KeyRing(sessions, settings), settings),
            limiter=RateLimiter(settings.redis_url),
            budgets=CostBuckets(settings.redis_url),
            provider_keys=provider_keys,
            metrics=Metrics(engine.pool, live, caches, in_flight=lambda: shedding.running),
            caches=caches,
            shedding=shedding,
            search_results=SearchResults(settings.search_results_ttl_s, caches),
            facet_indexes=FacetIndexes(urls.read or urls.app, settings, caches)
            if settings.facet_index_max_mb
            else None,
            tenancy_hooks=tenancy_hooks(),
            identity_hooks=identity_hooks(),
            webhook_hooks=webhook_hooks(),
            live=live,
            mail=sender_from(settings),
            after_erasure=functools.partial(vacuum, urls.admin, settings, POOL_OWNED_TABLES)
            if settings.vacuum_after_deletion
            else None,
            read_engine=read_engine,
            replica_health=replica_health,
            recent_writers=RecentWriters(settings.read_your_writes_s, settings.redis_url)
            if read_engine
            else None,
        )
        await _first_signing_key(app.state.services.tokens.keyring)
        await listener.start()
        await live.start()
        services = app.state.services
        if warm:
            await warm_up(services)
        # The periodic work, once at a time across every process running it.
        working = asyncio.create_task(run_work(services)) if run_periodic_work else None
        try:
            yield
        finally:
            if working is not None:
                await stop(working)
            await live.close()
            await listener.close()
            await provider_keys.close()
            await app.state.services.limiter.close()
            await app.state.services.budgets.close()
            if app.state.services.facet_indexes is not None:
                await app.state.services.facet_indexes.close()
            await engine.dispose()
            if read_engine is not None:
                assert replica_health is not None
                await replica_health.close()
                await app.state.services.recent_writers.close()
                await read_engine.dispose()

    def services() -> Services:
        services: Services = app.state.services
        return services

    def tenant_scoped(endpoint: ASGIApp, public_reads: bool = False) -> ASGIApp:
        scoped: ASGIApp = SessionPerRequest(endpoint, lambda: services().sessions())
        if public_reads:  # answered from the cache before a session is opened
            scoped = PublicReads(scoped, schema._schema)
        return TenantResolution(TenantCors(scoped), lambda: services().registry.current())

    app = Starlette(
        # Starlette tries each route in turn: the API, nearly every request, comes first.
        routes=[
            Route(
                "/graphql",
                Shed(
                    tenant_scoped(
                        GraphQLOverHttp(Authentication(TrustedDocuments(graphql_view()))),
                        public_reads=True,
                    )
                ),
                methods=["GET", "POST", "OPTIONS"],
            ),
            WebSocketRoute(
                "/graphql",
                TenantResolution(graphql_view(), lambda: services().registry.current()),
            ),
            Route("/healthz", health.healthz),
            Route("/readyz", health.readyz),
            Route("/.well-known/jwks.json", jwks),
            Route("/metrics", metrics_endpoint),
            Route(
                "/unsubscribe",
                tenant_scoped(request_response(unsubscribe_page)),
                methods=["GET", "POST"],
            ),
            Route(
                "/console",
                TenantResolution(
                    request_response(console_page), lambda: services().registry.current()
                ),
            ),
            Route("/console/assets/{name}", console_asset),
            Route("/static/{slug}/{name}", tenant_static_file),
            Route("/schema.graphql", tenant_scoped(request_response(public_schema))),
            Route("/sitemap.xml", tenant_scoped(request_response(sitemap))),
            Route("/feeds/indeed.xml", tenant_scoped(request_response(indeed_feed))),
            Route("/jobs/{id}/jsonld", tenant_scoped(request_response(job_json_ld))),
            Route(WIDGET_PATH, widget_script),
            Route(
                "/oauth/token", tenant_scoped(request_response(token_endpoint)), methods=["POST"]
            ),
        ],
        lifespan=lifespan,
        middleware=[Middleware(RequestLog), Middleware(SecurityHeaders)],
    )
    return app


# How long a process waits for its facet indexes before it serves, at most: past this they
# are finished in the background (uvicorn's supervisor gives a replacement worker 5 s).
WARM_UP_WITHIN_S = 3.0


async def warm_up(services: Services) -> None:
    """What a process's first requests would wait for, done before it serves: the sites
    read, its database connections opened and every pool's facet index built (while one is
    not, each search counts by SQL). Started under `make load`'s 200 clients, a cold
    process served its first 1.5 s five to fifteen times slower than later, and shed a
    request in every seven meanwhile."""
    registry = await services.registry.current()
    await open_connections(services.engine, services.settings.db_pool_size)
    indexes = services.facet_indexes
    if indexes is None:
        return
    versions = services.registry.data_versions
    building = [indexes.ready(pool, versions.get(pool, 0)) for pool in registry.pools()]
    try:
        async with asyncio.timeout(WARM_UP_WITHIN_S):
            await asyncio.gather(*building)
    except TimeoutError:
        log.info("facet indexes not built within %s s: they finish while serving", WARM_UP_WITHIN_S)
    except Exception:  # the request that needs one tries again (and counts by SQL meanwhile)
        log.warning("a facet index could not be built at start-up", exc_info=True)


# Python's default (700, 10, 10) collects every few hundred allocations, and a search page
# allocates thousands of short-lived objects: a fifth of its time went to the collector.
GC_THRESHOLDS = (50_000, 20, 20)


def tune_collector() -> None:
    """In a serving process, once its code is loaded: what was made so far lives as long
    as the process, so the collector need not walk it again; a request's short-lived
    objects are collected less often. (Not in tests: each app they start would stay.)"""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


# How `jobgraph serve --workers N` hands its database to each worker process it starts.
WORKER_URLS = "JOBGRAPH_WORKER_DATABASE_URLS"


def worker_app() -> Starlette:
    """The app of one worker process of `jobgraph serve --workers N` (uvicorn's factory)."""
    from jobgraph.observability import configure_logging
    from jobgraph.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    urls = json.loads(os.environ[WORKER_URLS])
    app = create_app(settings, DatabaseUrls(**urls), warm=True)
    tune_collector()
    return app
