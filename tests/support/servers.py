"""`jobgraph serve` as a real process on a free port, and waiting for it to answer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx

from tests.conftest import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stdout.read() if server.stdout else ""
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not become healthy")


def start_server(port: int, *arguments: str, **environment: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "jobgraph", "serve", *arguments],
        cwd=PROJECT_ROOT,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        | {"JOBGRAPH_PORT": str(port), "JOBGRAPH_LOG_FORMAT": "json"}
        | environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
