"""Browser-facing HTTP: security headers on every response, and CORS per tenant.

CORS answers only the tenant's ``allowed_origins`` (and in development any port of its own
loopback names: ``origin_allowed``), never with a wildcard and never with
credentials (the API takes bearer tokens and site keys, not cookies), and answers
preflight requests before authentication, as browsers send them without credentials."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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


RawHeader = tuple[bytes, bytes]  # as ASGI sends it: a lower-case latin-1 name, a value


@dataclass(frozen=True)
class DefaultHeaders:
    """Headers a response gets where it does not set them itself (``ResponseHeaders``)."""

    headers: tuple[RawHeader, ...]
    names: frozenset[bytes]

    @classmethod
    def of(cls, headers: dict[str, str]) -> DefaultHeaders:
        raw = tuple(
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in headers.items()
        )
        return cls(raw, frozenset(name for name, _value in raw))


_CACHE_CONTROL = b"cache-control"


def _made_private(header: RawHeader) -> RawHeader:
    name, value = header
    if name == _CACHE_CONTROL and b"public" in value:
        return name, value.replace(b"public", b"private")
    return header


class ResponseHeaders:
    """What a request's layers add to its response's headers, each as it hands the request
    on (``response_headers``), applied in one pass as the response starts, by
    ``SecurityHeaders``: defaults the response does not set itself, values added to its
    Vary, headers it has replaced, a shared cache's ``public`` made ``private``. Applied as
    if each layer had edited the response on its way out, the innermost first. (Each layer
    wrapped ``send`` for its own edit: a call per message and a pass over the headers
    each, a tenth of a search page's Python.)"""

    __slots__ = ("defaults", "kept_private", "replaced", "status", "vary")

    def __init__(self) -> None:
        self.defaults: list[DefaultHeaders] = []
        self.vary: list[bytes] = []
        self.replaced: dict[bytes, bytes] = {}
        self.kept_private = False
        self.status: int | None = None  # the response's, once it starts

    def default(self, headers: DefaultHeaders) -> None:
        """Each of ``headers`` where the response does not set it (names lower-case)."""
        self.defaults.append(headers)

    def vary_on(self, value: bytes) -> None:
        """``value`` added to the Vary header: joined to the response's first (the others
        dropped), as Starlette's ``add_vary_header`` does."""
        self.vary.append(value)

    def replace(self, name: bytes, value: bytes) -> None:
        """The header ``name`` (lower-case) set to ``value``, whatever the response set."""
        self.replaced[name] = value

    def keep_private(self) -> None:
        """A ``Cache-Control`` that lets shared caches keep the response made private to
        the client (its max-age stays)."""
        self.kept_private = True

    def edited(self, headers: Iterable[RawHeader]) -> list[RawHeader]:
        """The response's ``headers`` with every edit made."""
        replaced, vary, private = self.replaced, self.vary, self.kept_private
        edited: list[RawHeader] = []
        present = set()
        vary_at = -1
        for header in headers:
            name = header[0]
            if name in replaced:
                continue
            if name == b"vary" and vary:
                if vary_at >= 0:
                    continue
                vary_at = len(edited)
            elif private and name == _CACHE_CONTROL:
                header = _made_private(header)
            present.add(name)
            edited.append(header)
        for defaults in reversed(self.defaults):  # the innermost layer's first
            if present.isdisjoint(defaults.names) and not (
                private and _CACHE_CONTROL in defaults.names
            ):
                edited.extend(defaults.headers)
                present.update(defaults.names)
                continue
            for header in defaults.headers:
                if header[0] not in present:
                    present.add(header[0])
                    edited.append(_made_private(header) if private else header)
        if vary:
            added = b", ".join(reversed(vary))
            if vary_at >= 0:
                edited[vary_at] = (b"vary", edited[vary_at][1] + b", " + added)
            else:
                edited.append((b"vary", added))
        edited.extend(replaced.items())
        return edited


_RESPONSE_HEADERS = "jobgraph.response_headers"


def response_headers(scope: Scope) -> ResponseHeaders:
    """The edits the request's layers make to its response's headers (``ResponseHeaders``):
    a layer adds its own before it hands the request on."""
    edits: ResponseHeaders | None = scope.get(_RESPONSE_HEADERS)
    if edits is None:
        edits = scope[_RESPONSE_HEADERS] = ResponseHeaders()
    return edits


_API_SECURITY_HEADERS = DefaultHeaders.of(API_SECURITY_HEADERS)


class SecurityHeaders:
    """The security headers on every response, and every layer's edits to a response's
    headers (``ResponseHeaders``), applied as it starts: the one layer that wraps ``send``
    for them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        edits = response_headers(scope)
        edits.default(_API_SECURITY_HEADERS)

        async def edited_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                edits.status = message["status"]
                message["headers"] = edits.edited(message.get("headers", ()))
            await send(message)

        await self.app(scope, receive, edited_send)


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

        edits = response_headers(scope)
        edits.vary_on(b"Origin")
        if allowed is not None:
            edits.replace(b"access-control-allow-origin", allowed.encode("latin-1"))
        await self.app(scope, receive, send)
