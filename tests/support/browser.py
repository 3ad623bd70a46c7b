"""Debian's Chromium driven by Playwright against the app served on a real port."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn

from jobgraph.app import create_app
from jobgraph.cli import server_options
from tests.conftest import TEST_SETTINGS

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "console"


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = os.environ.get("JOBGRAPH_CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail(
            "The console test needs Chromium: `make test` installs Debian's chromium when "
            "run as root; elsewhere install it, or set JOBGRAPH_CHROMIUM to its path."
        )
    return found


@contextlib.asynccontextmanager
async def listening(database, app=None, settings=TEST_SETTINGS) -> AsyncIterator[int]:
    """The app (or another) on a real socket, run as `jobgraph serve` runs it: a browser
    cannot use the in-process transport."""
    config = uvicorn.Config(
        app or create_app(settings, database),
        host="127.0.0.1",
        port=0,
        **server_options(settings),
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.05)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await task
