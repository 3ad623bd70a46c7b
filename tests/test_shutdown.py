"""Graceful shutdown of the real server process: on SIGTERM it stops accepting, finishes the
request in flight, runs its shutdown (closing the pool) and exits 0."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from jobgraph.db.embedded import EmbeddedPostgres
from tests.conftest import PROJECT_ROOT
from tests.support.servers import (
    REDIS,
    ServerOutput,
    empty_redis_or_skip,
    free_port,
    metric,
    start_server,
    wait_until_healthy,
)

BODY = json.dumps({"query": "{ tenant { slug } }"}).encode()
METRICS_TOKEN = "shutdown-test-metrics"


def test_sigterm_finishes_the_request_in_flight_then_exits_cleanly(database):
    port = free_port()
    server = start_server(
        port,
        "--no-sync-tenants",
        "--workers",
        "1",
        DATABASE_URL=database.admin,
        JOBGRAPH_METRICS_TOKEN=METRICS_TOKEN,
    )
    output = ServerOutput(server)
    try:
        output.until("It is up: open", seconds=60)  # said once it answers its health check
        # A request in flight: its headers and half its body are in, the rest not yet.
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: jobboard.localhost\r\n"
            b"Content-Type: application/json\r\nAccept: application/json\r\n"
            + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
            + BODY[:10]
        )
        # The server has it (the request holds a turn) before the signal comes.
        deadline = time.monotonic() + 10
        while metric(port, "jobgraph_graphql_requests_in_flight", METRICS_TOKEN) < 1:
            assert time.monotonic() < deadline, "the request never reached the server"
        server.send_signal(signal.SIGTERM)
        # Said once it has closed its listening socket and waits for the request.
        output.until("Waiting for connections to close")
        refused = False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            refused = True
        assert refused, "a new connection was accepted after SIGTERM"

        client.sendall(BODY[10:])
        response = b""
        while chunk := client.recv(65536):
            response += chunk
        client.close()
        head, _, payload = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), response
        assert json.loads(payload)["data"] == {"tenant": {"slug": "jobboard"}}

        assert server.wait(timeout=15) == 0
        written = output.whole()
        assert "Application shutdown complete" in written, written
        # Once it was up, it said where to go: each site's API and console on this port.
        assert f"API http://jobboard.localhost:{port}/graphql" in written, written
        assert written.index("Application startup complete") < written.index("It is up: open")
        assert f"console http://jobboard.localhost:{port}/console" in written
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        server.stdout.close()


@pytest.mark.needs("redis")
def test_sigterm_also_stops_the_embedded_database_the_server_started():
    """The default path: no DATABASE_URL, so `jobgraph serve` runs its own PostgreSQL; with
    two workers (their rate limits in Redis), SIGTERM stops both, then the database."""
    empty_redis_or_skip()
    data_dir = PROJECT_ROOT / ".data" / f"test-shutdown-{os.getpid()}"
    port = free_port()
    pgdata = EmbeddedPostgres(data_dir).pgdata  # moved where its server can reach, if need be
    server = start_server(
        port,
        "--migrate",
        "--workers",
        "2",
        JOBGRAPH_DATA_DIR=str(data_dir),
        JOBGRAPH_REDIS_URL=REDIS,
    )
    try:
        wait_until_healthy(port, server, seconds=120)
        assert (pgdata / "postmaster.pid").exists()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        assert not (pgdata / "postmaster.pid").exists(), "PostgreSQL still runs"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        server.stdout.close()
        subprocess.run(
            [sys.executable, "-m", "jobgraph", "db", "clean"],
            cwd=PROJECT_ROOT,
            env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
            | {"JOBGRAPH_DATA_DIR": str(data_dir)},
            capture_output=True,
        )
        shutil.rmtree(data_dir, ignore_errors=True)
