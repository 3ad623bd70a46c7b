"""`jobgraph serve --workers 2`: two processes behind one port share the rate limits and
each account's count of live connections (in Redis) and the tenant registry (in
PostgreSQL), and SIGTERM stops them both."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from jobgraph.demo import DEMO_PASSWORD
from tests.conftest import demo_code
from tests.support.live import live
from tests.support.servers import (
    REDIS,
    empty_redis_or_skip,
    free_port,
    start_server,
    wait_until_healthy,
)

LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"""
VERIFY_SECOND_FACTOR = """mutation($c: String!) { verifySecondFactor(code: $c) {
  secondFactorVerified } }"""
BRANDING = """mutation($b: BrandingInput!) {
  updateTenantBranding(branding: $b) { settings { slug } } }"""
SITE_NAME = "{ tenant { branding { siteName } } }"


async def live_connections(port: int, token: str, count: int) -> list[str]:
    """Open ``count`` live connections at once, each on a connection of its own: what each
    was answered (connection_ack, or the code it was closed with), all held open until the
    last has its answer."""
    async with contextlib.AsyncExitStack() as stack:
        answers = []
        for _ in range(count):
            client = await stack.enter_async_context(live(port))
            await client.send(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            )
            try:
                answers.append((await client.receive())["type"])
            except ConnectionClosed:
                answers.append(str((await client.closed())[0]))
        return answers


def call(port: int, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    """One request on a connection of its own, so the workers share the requests."""
    headers = {"X-Tenant": "jobboard", "Connection": "close"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=30,
    )
    return response.json()


@pytest.mark.needs("redis")
def test_two_workers_share_rate_limits_live_connections_and_the_registry_and_stop_together(
    database,
):
    empty_redis_or_skip()
    port = free_port()
    server = start_server(
        port, "--no-sync-tenants", "--workers", "2", DATABASE_URL=database.admin,
        JOBGRAPH_REDIS_URL=REDIS, JOBGRAPH_LOG_LEVEL="info",
    )  # fmt: skip
    try:
        wait_until_healthy(port, server)
        # Eight attempts at once for one address: five a minute, whichever worker counts.
        stranger = {"e": f"stranger-{uuid.uuid4().hex}@jobboard.test", "p": "wrong-password-1"}
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: call(port, LOGIN, stranger), range(8)))
        codes = sorted(answer["errors"][0]["extensions"]["code"] for answer in answers)
        assert codes == ["RATE_LIMITED"] * 3 + ["UNAUTHENTICATED"] * 5

        # A branding change through one worker is what every worker answers once
        # PostgreSQL has announced it (at once, here; the other process cannot be asked
        # when it heard, so the test asks the workers until it may give up).
        admin = call(port, LOGIN, {"e": "admin@jobboard.test", "p": DEMO_PASSWORD})
        token = admin["data"]["login"]["accessToken"]
        verified = call(port, VERIFY_SECOND_FACTOR, {"c": demo_code()}, token)
        assert "errors" not in verified, verified
        changed = call(port, BRANDING, {"b": {"siteName": "Harbour Jobs"}}, token)
        assert "errors" not in changed, changed
        deadline = time.monotonic() + 10
        while True:
            with ThreadPoolExecutor(8) as pool:
                names = list(pool.map(lambda _: call(port, SITE_NAME), range(16)))
            seen = {n["data"]["tenant"]["branding"]["siteName"] for n in names}
            if seen == {"Harbour Jobs"} or time.monotonic() > deadline:
                break
        assert seen == {"Harbour Jobs"}

        # One account's live connections: five, whichever worker holds each.
        employer = call(port, LOGIN, {"e": "employer@jobboard.test", "p": DEMO_PASSWORD})
        answers = asyncio.run(live_connections(port, employer["data"]["login"]["accessToken"], 7))
        assert sorted(answers) == ["4429"] * 2 + ["connection_ack"] * 5
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output[-2000:]
    served_by = {
        line["pid"]
        for line in map(json.loads, (row for row in output.splitlines() if row.startswith("{")))
        if line.get("message") == "request" and line.get("path") == "/graphql"
    }
    assert len(served_by) == 2, "both workers answered requests"
    # Said once both workers serve: until then the kernel hands every new connection to
    # the one listening, and a client opening its connections at once would have one worker.
    lines = output.splitlines()
    up = next(at for at, line in enumerate(lines) if line.startswith("It is up: open"))
    started = [at for at, line in enumerate(lines) if "Application startup complete" in line]
    assert len(started) == 2 and max(started) < up, output[-2000:]


def test_several_workers_without_redis_are_refused_saying_why():
    """Each process would count the rate limits on its own: refused before anything starts
    (no database is started, no port is bound)."""
    server = start_server(free_port(), "--workers", "2", JOBGRAPH_REDIS_URL="")
    output, _ = server.communicate(timeout=60)
    assert server.returncode == 1
    assert "error: 2 processes need JOBGRAPH_REDIS_URL" in output
    assert "each limit would allow up to 2 times its number" in output
    assert "Starting the database" not in output
