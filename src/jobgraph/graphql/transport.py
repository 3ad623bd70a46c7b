"""The GraphQL-over-HTTP rules at the edge of /graphql, before Strawberry sees a request:
POST bodies are JSON only (a cross-site form cannot post a mutation), bodies are bounded,
and GET carries queries only, only where the tenant allows it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
from collections.abc import Mapping

from starlette.datastructures import QueryParams
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobgraph.errors import BadUserInput, ServiceUnavailable, error_response
from jobgraph.request_state import request_headers, state_of

MAX_BODY_BYTES = 64 * 1024
GRAPHQL_RESPONSE = "application/graphql-response+json"


_API_PAGE_STYLE = "body { font-family: sans-serif; max-width: 40em; margin: 3em auto }"
# The page's own policy: nothing but its one style block (by its hash), as the API's
# default policy allows no style at all.
_API_PAGE_POLICY = (
    "default-src 'none'; style-src 'sha256-"
    + base64.b64encode(hashlib.sha256(_API_PAGE_STYLE.encode()).digest()).decode()
    + "'; frame-ancestors 'none'"
)
_API_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{site}: GraphQL API</title>
<style>{style}</style></head>
<body>
<h1>{site}</h1>
<p>This address is the site's GraphQL API: programs send it queries with POST
(<code>Content-Type: application/json</code>).</p>
<ul>
<li><a href="/console">The console</a>: sign in and try queries in your browser.</li>
<li><a href="/schema.graphql">The public schema</a>: what anyone, and partner keys, may call.</li>
</ul>
</body></html>
"""


class GraphQLOverHttp:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _a_browser_visiting(scope):
            site = html.escape(state_of(scope).tenant.site_name)
            page = HTMLResponse(
                _API_PAGE.format(site=site, style=_API_PAGE_STYLE),
                headers={"Content-Security-Policy": _API_PAGE_POLICY},
            )
            await page(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            status, message = refusal
            allow = {"Allow": "GET, POST"} if status == 405 else None
            await error_response(BadUserInput(message), status=status, headers=allow)(
                scope, receive, send
            )
            return
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_BODY_BYTES:
                raise _TooLarge
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        timeout = scope["app"].state.services.settings.request_timeout_s
        try:
            async with asyncio.timeout(timeout):
                await self.app(scope, bounded_receive, tracking_send)
        except _TooLarge:
            too_large = BadUserInput(_too_large())
            await error_response(too_large, status=413)(scope, receive, send)
        except TimeoutError:
            if started:
                raise
            error = ServiceUnavailable(
                f"The request took longer than {timeout:g} s and was stopped; try again, "
                "or ask for less."
            )
            await error_response(error)(scope, receive, send)

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        headers = request_headers(scope)
        method = scope["method"]
        if method == "POST":
            content_type = headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != "application/json":
                return 415, (
                    "Send GraphQL requests as application/json; other bodies (forms, "
                    "multipart) are refused."
                )
            length = headers.get("content-length") or "0"
            if not length.isdigit():
                return 400, "The Content-Length header is not a number."
            if int(length) > MAX_BODY_BYTES:
                return 413, _too_large()
        elif method == "GET":
            if not state_of(scope).tenant.config.policy.api.allow_get_queries:
                return 405, "This site takes GraphQL requests over POST only."
            if len(scope["query_string"]) > MAX_BODY_BYTES:  # one cap, however it is sent
                return 414, (
                    f"The query string is longer than {MAX_BODY_BYTES // 1024} KiB, the most a "
                    "request may carry: send a shorter document, or POST it."
                )
            query = QueryParams(scope["query_string"]).get("query", "")
            if query.lstrip().startswith("mutation") or "mutation" in query.split("{")[0]:
                return 405, "Mutations are never sent over GET; use POST."
        return None


class _TooLarge(Exception):
    pass


def _too_large() -> str:
    return f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB."


def _a_browser_visiting(scope: Scope) -> bool:
    """A GET with no query that asks for a page: someone opened the URL in a browser."""
    return (
        scope["method"] == "GET"
        and not scope["query_string"]
        and "text/html" in request_headers(scope).get("accept", "")
    )


def wants_graphql_response(headers: Mapping[str, str]) -> bool:
    return GRAPHQL_RESPONSE in headers.get("accept", "")
