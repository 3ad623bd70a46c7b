"""Waiting for what other tasks do, in the few ways the service does: until a condition
holds (told by who changes it), until a background task has stopped, and for work another
task is already doing (``Together``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

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


class Together:
    """Work on a key done once for all the tasks of this process that ask for it at once:
    the first does it, the others wait for it and get its result. A task that waited on
    work that failed or was cancelled does the work itself (the failure was the other's)."""

    def __init__(self) -> None:
        self._doing: dict[Hashable, asyncio.Future[tuple[bool, Any]]] = {}

    async def result(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """``work()``'s result, and whether this task did it (else another did, meanwhile)."""
        doing = self._doing.get(key)
        if doing is not None:
            done, value = await asyncio.shield(doing)
            return (value, False) if done else (await work(), True)
        future = self._doing[key] = asyncio.get_running_loop().create_future()
        try:
            value = await work()
        except BaseException:
            future.set_result((False, None))
            raise
        finally:
            del self._doing[key]
        future.set_result((True, value))
        return value, True
