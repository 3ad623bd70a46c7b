"""Load shedding: at most so many requests run at once in a process, and the next ones are
refused quickly rather than queued until they time out. Below every layer that uses it:
the services hold one (``Services.shedding``), and ``Shed`` guards /graphql."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from jobgraph.errors import ServiceUnavailable, error_response


class LoadShedding:
    """At most ``limit`` requests run at once; the next ones wait up to ``wait`` seconds for
    a turn, then get a quick 503 with Retry-After rather than queueing on the database
    pool until they time out (see Shed)."""

    def __init__(self, limit: int, wait: float) -> None:
        self.turns = asyncio.Semaphore(limit)
        self.wait = wait
        self.running = 0  # requests holding a turn now (a metric reads it)

    async def acquire(self) -> bool:
        if not self.turns.locked():  # a turn is free: no timer to set
            await self.turns.acquire()
        else:
            try:
                async with asyncio.timeout(self.wait):
                    await self.turns.acquire()
            except TimeoutError:
                return False
        self.running += 1
        return True

    def release(self) -> None:
        self.running -= 1
        self.turns.release()


class Shed:
    """Outermost on /graphql: a request that gets no turn (LoadShedding) is answered 503
    at once, before any database work, even the tenant registry's check."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        services = scope["app"].state.services
        if not await services.shedding.acquire():
            busy = ServiceUnavailable("The service is busy; try again in a moment.")
            await error_response(busy, headers={"Retry-After": "1"})(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            services.shedding.release()
