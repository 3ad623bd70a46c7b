"""Tenant resolution at the HTTP edge: the Host header (a tenant's hostnames), or the
``X-Tenant: <slug>`` header for local development and API clients."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from jobgraph.errors import TenantUnknown, error_response
from jobgraph.request_state import RequestState
from jobgraph.tenancy.registry import Tenant, TenantRegistry


class TenantResolution:
    def __init__(self, app: ASGIApp, registry: Callable[[], Awaitable[TenantRegistry]]) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        registry = await self.registry()
        tenant, problem = self._resolve(headers, registry)
        if tenant is None:
            response = error_response(TenantUnknown(problem))
            await response(scope, receive, send)
            return
        RequestState(tenant=tenant, sites=registry).attach(scope)
        await self.app(scope, receive, send)

    def _resolve(self, headers: Headers, registry: TenantRegistry) -> tuple[Tenant | None, str]:
        slug = headers.get("x-tenant")
        if slug:
            return registry.get(slug), (
                f"No tenant has the slug '{slug}' (from the X-Tenant "
                "header). Check the slug, or omit the header."
            )
        host = headers.get("host", "")
        return registry.for_host(host), (
            f"No tenant serves the host '{host}'. Use one of the "
            "tenant's hostnames, or send X-Tenant: <slug>."
        )
