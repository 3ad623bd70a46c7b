"""A `jobgraph` command run as a user runs it: in a process of its own (one that loads
only some models would fail there on foreign keys to the others), on a test's database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from jobgraph.settings import PROJECT_ROOT


async def jobgraph_command(
    database, *arguments: str, **environment: str
) -> subprocess.CompletedProcess[str]:
    """``jobgraph *arguments`` on ``database`` (its admin URL, as an operator's shell has
    it), with ``environment`` added; its output as text, however it exits."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "jobgraph", *arguments],
        cwd=PROJECT_ROOT,
        env=os.environ | {"DATABASE_URL": database.admin} | environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
