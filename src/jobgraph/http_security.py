"""Browser-facing HTTP: security headers on every response, and CORS per tenant.

CORS answers only the tenant's ``allowed_origins`` (and in development any port of its own
loopback names: ``origin_allowed``), never with a wildcard and never with
credentials (the API takes bearer tokens and site keys, not cookies), and answers
preflight requests before authentication, as browsers send them without credentials."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobgraph.request_state import request_headers, state_of

API_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-site",
}
ALLOWED_HEADERS = "content-type, authorization, x-site-key, x-tenant"


def origin_allowed(origin: str | None, allowed: Sequence[str], hostnames: Sequence[str]) -> bool:
    """Whether a page on ``origin`` may call the site: one of its ``allowed`` origins, or in
    development a page served on any port of one of the site's own loopback names
    (``jobboard.localhost:5173`` for a site at ``jobboard.localhost``): only this machine
    can be such a page, and a developer's tools pick their own ports."""
    if origin is None:
        return False
    if origin in allowed:
        return True
    parts = urlsplit(origin)
    host = parts.hostname or ""
    return (
        parts.scheme in ("http", "https")
        and host in hostnames
        and (host == "localhost" or host.endswith(".localhost"))
        and origin == f"{parts.scheme}://{parts.netloc}"
    )


RawHeaders = tuple[tuple[bytes, bytes], ...]


def raw_headers(headers: dict[str, str]) -> RawHeaders:
    """Headers as ASGI sends them (lower-case latin-1 names), for ``with_default_headers``."""
    return tuple(
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    )


def with_default_headers(send: Send, defaults: RawHeaders) -> Send:
    """``send``, adding each of ``defaults`` the response does not set itself (what
    MutableHeaders.setdefault does, one pass over the response's headers for them all)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = message["headers"] = list(message.get("headers", ()))
            present = {name for name, _value in headers}
            headers.extend(default for default in defaults if default[0] not in present)
        await send(message)

    return sending


def set_header(message: Message, name: bytes, value: bytes) -> None:
    """A response start's header ``name`` (lower-case) set to ``value``, replacing any it
    had: what ``MutableHeaders(scope=message)[name] = value`` does, in one pass."""
    headers = [header for header in message.get("headers", ()) if header[0] != name]
    headers.append((name, value))
    message["headers"] = headers


def add_vary(message: Message, value: bytes) -> None:
    """``value`` added to a response start's Vary header: what Starlette's
    ``add_vary_header`` does (joined to the first Vary, the others dropped), in one pass."""
    headers: list[tuple[bytes, bytes]] = []
    joined = False
    for name, existing in message.get("headers", ()):
        if name == b"vary":
            if joined:
                continue
            existing, joined = existing + b", " + value, True
        headers.append((name, existing))
    if not joined:
        headers.append((b"vary", value))
    message["headers"] = headers


def header_value(message: Message, name: bytes) -> bytes | None:
    """A response start's first header ``name`` (lower-case), or None."""
    for found, value in message.get("headers", ()):
        if found == name:
            return bytes(value)
    return None


_API_SECURITY_HEADERS = raw_headers(API_SECURITY_HEADERS)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, with_default_headers(send, _API_SECURITY_HEADERS))


class TenantCors:
    """After tenant resolution: the tenant's own allowed origins."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = request_headers(scope)
        origin = headers.get("origin")
        config = state_of(scope).tenant.config
        # The request's origin where the site allows it, else None.
        allowed = (
            origin
            if origin_allowed(origin, config.policy.api.allowed_origins, config.hostnames)
            else None
        )
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            response = Response(status_code=204 if allowed else 403, headers={"Vary": "Origin"})
            if allowed is not None:
                response.headers.update(
                    {
                        "Access-Control-Allow-Origin": allowed,
                        "Access-Control-Allow-Methods": "GET, POST",
                        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                        "Access-Control-Max-Age": "600",
                    }
                )
            await response(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_vary(message, b"Origin")
                if allowed is not None:
                    set_header(message, b"access-control-allow-origin", allowed.encode("latin-1"))
            await send(message)

        await self.app(scope, receive, send_with_cors)
