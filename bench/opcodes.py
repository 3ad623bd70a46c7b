"""`python -m bench.opcodes [--page plain|whole|kept|empty|profiles|candidates] [--files N]`:
how many Python bytecode instructions one request of a bench page runs in the app, in process (no
sockets), counted with ``sys.settrace``: the same number on every run of the same code,
where times on a shared machine drift by a tenth between runs. Use it to compare two
versions of a change to the request's Python; what runs in C (the driver's decoding,
orjson, greenlet's switches, the HTTP server) it does not count, and a change there is
measured with ``make bench``. ``--files N`` also lists the N functions that ran the most.

Pages: plain (the bench's page, executed), whole (with its total, facets and histogram,
from the facet index), kept (the plain page, its search results kept), empty (``{
__typename }``: what every request pays), profiles (`make load`'s page of 20 public
profiles, each field decided by the policy and recorded as disclosed), candidates (`make
load`'s candidate search by a signed-in employer, recorded as disclosed). Uses the
benchmark's data set (``make bench`` loads it)."""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import httpx
import orjson

from bench.__main__ import DEFAULT_POSTINGS, bench_server, prepare, say
from bench.load import CANDIDATES, PROFILES, employer_session
from bench.servers import FACETS_QUERY, QUERY, TENANT
from jobgraph.app import create_app, tune_collector
from jobgraph.db.embedded import EmbeddedPostgres
from jobgraph.db.urls import DatabaseUrls
from jobgraph.settings import PROJECT_ROOT, Settings

PAGES = {
    "plain": (TENANT, QUERY),
    "whole": (TENANT, FACETS_QUERY),
    "kept": (TENANT, QUERY),
    "empty": (TENANT, "{ __typename }"),
    "profiles": ("community", PROFILES),
    "candidates": ("jobboard", CANDIDATES),  # for a company of the employer signed in
}
WARM_UP = 300  # requests before counting: caches, plans and the facet index ready
COUNTED = 20


async def page_request(app: Any, page: str) -> Callable[[], Any]:
    """``asgi_request`` of a bench page; for candidates, as the demo employer, signed in."""
    tenant, query = PAGES[page]
    if page != "candidates":
        return asgi_request(app, tenant, query)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        token, company = await employer_session(client)
    return asgi_request(app, tenant, query, {"c": company}, f"Bearer {token}")


def asgi_request(
    app: Any,
    tenant: str,
    query: str,
    variables: dict[str, Any] | None = None,
    authorization: str | None = None,
) -> Callable[[], Any]:
    """A function sending one POST of ``query`` to ``app`` for ``tenant`` as uvicorn
    would; it checks the answer has no errors."""
    # Variables only where given: every other page sends the body it sent before.
    body = orjson.dumps({"query": query} | ({"variables": variables} if variables else {}))
    headers = [
        (b"host", b"127.0.0.1"),
        (b"content-type", b"application/json"),
        (b"x-tenant", tenant.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    if authorization is not None:
        headers.append((b"authorization", authorization.encode()))

    async def send_one() -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "root_path": "",
            "query_string": b"",
            "headers": list(headers),
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = False
        answer = bytearray()

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:  # the request is whole: wait as a connection without more would
                await asyncio.Event().wait()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                answer.extend(message.get("body", b""))

        await app(scope, receive, send)
        if b'"errors"' in answer:
            raise RuntimeError(f"the bench page failed: {bytes(answer[:300])!r}")

    return send_one


def page_app(admin_url: str, page: str) -> Any:
    """The app as the counts run it: a bench page's search results kept only for ``kept``."""
    settings = Settings(
        db_pool_size=4,
        log_level="warning",
        search_results_ttl_s=600 if page == "kept" else 0,
    )
    return create_app(settings, DatabaseUrls.from_admin(admin_url, settings), work=False)


async def count(admin_url: str, page: str, files: int) -> None:
    app = page_app(admin_url, page)
    async with app.router.lifespan_context(app):
        tune_collector()
        send_one = await page_request(app, page)
        for _ in range(WARM_UP):
            await send_one()
        services = app.state.services
        if page == "whole":  # counted from the facet index, as a service up a while is
            registry = await services.registry.current()
            pool = registry.get(TENANT).pool_id
            await services.facet_indexes.ready(pool, services.registry.data_versions.get(pool, 0))
            for _ in range(WARM_UP):
                await send_one()
        by_function: collections.Counter[str] = collections.Counter()

        def trace(frame: FrameType, event: str, _arg: Any) -> Any:
            if event == "call":
                frame.f_trace_opcodes = True
            elif event == "opcode":
                code = frame.f_code
                by_function[f"{code.co_filename}:{code.co_firstlineno} {code.co_name}"] += 1
            return trace

        sys.settrace(trace)
        try:
            for _ in range(COUNTED):
                await send_one()
        finally:
            sys.settrace(None)
    total = sum(by_function.values()) / COUNTED
    say(f"  {page} page: {total:,.0f} Python instructions a request ({COUNTED} counted)")
    for function, number in by_function.most_common(files):
        say(f"  {number / COUNTED:8,.0f}  {function}")


def page_parser(prog: str, description: str | None) -> argparse.ArgumentParser:
    """A counting command's options: which bench page (``--page``)."""
    parser = argparse.ArgumentParser(
        prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--page", choices=tuple(PAGES), default="plain")
    return parser


def on_bench_data(run: Callable[[str], None]) -> None:
    """``run`` given the admin URL of the benchmark's embedded PostgreSQL, its data set
    loaded (reused when it is), stopped afterwards."""
    embedded = EmbeddedPostgres(PROJECT_ROOT / ".data", name=bench_server(DEFAULT_POSTINGS))
    embedded.start()
    try:
        asyncio.run(prepare(embedded.url(), DEFAULT_POSTINGS))
        run(embedded.url())
    finally:
        embedded.stop()


def main() -> None:
    parser = page_parser("python -m bench.opcodes", __doc__)
    parser.add_argument("--files", type=int, default=0, metavar="N")
    arguments = parser.parse_args()
    on_bench_data(lambda url: asyncio.run(count(url, arguments.page, arguments.files)))


if __name__ == "__main__":
    main()
