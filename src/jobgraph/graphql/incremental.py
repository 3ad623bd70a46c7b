"""Incremental delivery: a query may defer part of its result (``@defer`` on a fragment,
``@stream`` on a list), so that a page's first paint needs only its rows and its counts
follow. graphql-core executes it (Strawberry's experimental support), Strawberry writes
it as ``multipart/mixed`` (the incremental delivery RFC's format: ``pending``,
``incremental``, ``completed``, ``hasNext``).

Where it applies: queries and mutations over POST from a client that accepts
``multipart/mixed``; anything else is refused before it runs, with what to change
(``refusal``), as is introspection, which is answered whole. Every payload passes what a
whole result passes before it leaves (``results.settle_part``): what it discloses is
recorded first, its errors are shaped. The first payload carries the request's
extensions (``extensions.cost``: ``Admission``); a deferred query is charged its
estimate, as its lists arrive in parts."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

# A result in parts: the first payload, and the later ones as they come.
from graphql.execution import ExperimentalIncrementalExecutionResults as IncrementalResults
from starlette.requests import HTTPConnection, Request

DIRECTIVES = frozenset({"defer", "stream"})
MULTIPART = "multipart/mixed"


def accepts_parts(request: HTTPConnection) -> bool:
    """Whether the client reads a result in parts: its Accept names ``multipart/mixed``."""
    accept = request.headers.get("accept", "")
    return any(part.split(";", 1)[0].strip().lower() == MULTIPART for part in accept.split(","))


def refusal(request: HTTPConnection, introspection: bool) -> str | None:
    """Why a query that defers part of its result may not run here; None where it may."""
    if not isinstance(request, Request):
        return "@defer and @stream apply to queries and mutations over HTTP, not subscriptions."
    if introspection:
        return "Introspection is answered whole: remove @defer and @stream from it."
    if request.method != "POST":
        return "A query that defers part of its result (@defer, @stream) is sent with POST."
    if not accepts_parts(request):
        return (
            "This query defers part of its result (@defer, @stream): send the header "
            f"'Accept: {MULTIPART}, application/json' to receive it in parts, or remove "
            "the directive."
        )
    return None


async def each_part(
    results: IncrementalResults, before_leaving: Callable[[Any], Awaitable[None]]
) -> AsyncGenerator[Any, None]:
    """The payloads after the first, each passed to ``before_leaving`` before it leaves."""
    async with contextlib.aclosing(results.subsequent_results) as payloads:
        async for payload in payloads:
            await before_leaving(payload)
            yield payload
