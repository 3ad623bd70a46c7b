"""Tenant resolution at the HTTP edge: the Host header (a tenant's hostnames), or the
``X-Tenant: <slug>`` header for local development and API clients.

A shared cache (a CDN) keys what it keeps by the address, not by ``X-Tenant``: an answer
chosen by that header is never marked ``public``, or one site's answer would be served
to another's visitors from the cache."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

from jobgraph.errors import TenantUnknown, error_response
from jobgraph.http_security import response_headers
from jobgraph.request_state import RequestState, request_headers
from jobgraph.tenancy.registry import Tenant, TenantRegistry


class TenantResolution:
    def __init__(self, app: ASGIApp, registry: Callable[[], Awaitable[TenantRegistry]]) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = request_headers(scope)
        registry = await self.registry()
        tenant, problem = self._resolve(headers, registry)
        if tenant is None:
            response = error_response(TenantUnknown(problem))
            await response(scope, receive, send)
            return
        RequestState(tenant=tenant, sites=registry).attach(scope)
        if scope["type"] == "http" and "x-tenant" in headers:
            # Its answer is kept private to the client, and varies by X-Tenant for any
            # cache that keys on it.
            edits = response_headers(scope)
            edits.keep_private()
            edits.vary_on(b"X-Tenant")
        await self.app(scope, receive, send)

    def _resolve(
        self, headers: Mapping[str, str], registry: TenantRegistry
    ) -> tuple[Tenant | None, str]:
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
