"""Waiting for what other tasks do, in the few ways the service does: until a condition
holds (told by who changes it), and until a background task has stopped."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

# A lost connection (to PostgreSQL's announcements, to Redis) is tried again after the
# first wait, doubled after each failure up to the second.
RECONNECT_AFTER_S = (0.5, 30.0)


def resolve(waiting: list[asyncio.Future[None]]) -> None:
    """Tell all who wait, and empty the list for the next ones."""
    for future in waiting:
        if not future.done():
            future.set_result(None)
    waiting.clear()


async def until(condition: Callable[[], bool], waiting: list[asyncio.Future[None]]) -> None:
    """Until ``condition()`` holds, checked again each time ``waiting`` is resolved."""
    while not condition():
        future = asyncio.get_running_loop().create_future()
        waiting.append(future)
        await future


async def stop(task: asyncio.Task[Any] | None) -> None:
    """Cancel a background task and wait until it has ended."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
