"""Debian's Chromium driven by Playwright against the app served on a real port."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from jobgraph.app import create_app
from jobgraph.cli import server_options
from tests.conftest import TEST_SETTINGS
from tests.support.npm import installed

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


@contextlib.asynccontextmanager
async def console_signed_in(
    port: int, email: str, password: str, host: str = "jobboard.localhost"
) -> AsyncIterator[tuple[Any, list[str]]]:
    """A headless Chromium on a site's console, signed in on its form as ``email``; the
    page, and the errors its scripts raise (a test expects none)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            # axe-core for accessibility_violations, there before the page's own scripts
            # (its Content-Security-Policy would refuse a script added later).
            await page.add_init_script(path=str(installed(AXE) / "axe-core" / "axe.min.js"))
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            await page.goto(f"http://{host}:{port}/console")
            await page.fill("#email", email)
            await page.fill("#password", password)
            await page.click("#sign-in button")
            yield page, problems
        finally:
            await browser.close()


AXE = Path(__file__).resolve().parent / "axe"


async def accessibility_violations(page: Any, selector: str = "body") -> list[str]:
    """What axe-core finds wrong with the part of ``page`` at ``selector`` (shadow roots
    included) against WCAG 2.1 A and AA: each violation's rule, impact and first places."""
    modules = await asyncio.to_thread(installed, AXE)
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(modules / "axe-core" / "axe.min.js"))
    found = await page.evaluate(
        """async (selector) => (await axe.run(document.querySelector(selector),
            { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }))
            .violations.map(v => `${v.id} (${v.impact}): ${v.help}: ` +
              v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "))""",
        selector,
    )
    return list(found)
