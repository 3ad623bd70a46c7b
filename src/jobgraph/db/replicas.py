"""Read replicas (JOBGRAPH_READ_DATABASE_URL): a request's reads may go to a streaming
standby, its writes never do.

A session reads from the replica only once the request has been marked as a read (a
GraphQL query, see ``graphql/replicas.py``); any write, and every statement after the
request's first unit of work began (``Context.transaction``), goes to the primary. A
viewer who wrote within the last ``read_your_writes_s`` seconds reads from the primary,
so a change is never missing from its author's next page while the standby catches up.
While the standby cannot be reached, reads go to the primary (``ReplicaHealth``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase

log = logging.getLogger(__name__)

_READ_FROM = "jobgraph.read_from"
_MEMORY_KEYS = 100_000  # past this many, expired keys are dropped


class RoutingSession(Session):
    """The primary, unless this session was marked to read from a replica; then reads
    (not writes, not flushes) go there."""

    def get_bind(self, mapper: Any = None, clause: Any = None, **kwargs: Any) -> Any:
        replica = self.info.get(_READ_FROM)
        if replica is None or self._flushing or isinstance(clause, UpdateBase):
            return super().get_bind(mapper, clause=clause, **kwargs)
        return replica


def read_from(session: Any, replica: Engine) -> None:
    """Send this session's reads to ``replica`` (a sync engine) until it writes."""
    session.sync_session.info[_READ_FROM] = replica


def write_to_primary(session: Any) -> None:
    """From now on this session reads and writes on the primary (it is about to write:
    what it reads next must include what it wrote)."""
    session.sync_session.info.pop(_READ_FROM, None)


def on_primary(session: Any) -> bool:
    """Whether this session reads from the primary (its reads not sent to a replica)."""
    return _READ_FROM not in session.sync_session.info


class ReplicaHealth:
    """Whether the read replica answers. A connection to it that fails (refused, or dropped
    under a statement) marks it away: the request that met the failure is answered
    SERVICE_UNAVAILABLE, and from then on reads go to the primary; a probe every
    ``RECHECK_S`` seconds marks it back once it answers again (``back`` is set then)."""

    RECHECK_S = 2.0

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.away = False
        self.back = asyncio.Event()
        self._probe: asyncio.Task[None] | None = None
        event.listen(engine.sync_engine, "handle_error", self._failed)

    def _failed(self, context: ExceptionContext) -> None:
        if context.is_disconnect or context.connection is None:  # dropped, or never made
            self.mark_away(type(context.original_exception).__name__)

    def mark_away(self, why: str) -> None:
        if self.away:
            return
        log.warning(
            "the read replica cannot be reached (%s): reads go to the primary until it answers",
            why,
        )
        self.away = True
        self.back = asyncio.Event()
        self._probe = asyncio.get_running_loop().create_task(self._until_back())

    async def _until_back(self) -> None:
        await self.engine.dispose()  # its connections went with it
        while True:
            await asyncio.sleep(self.RECHECK_S)
            try:
                async with self.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
            except Exception:  # still away; the next probe tries again
                continue
            log.warning("the read replica answers again: queries read there again")
            self.away = False
            self.back.set()
            return

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe


class RecentWriters:
    """Who wrote in the last ``window_s`` seconds, by key (an account, an address): in
    Redis when configured, so that every process knows; in this process's memory
    otherwise (then one process, or sticky sessions, keep reads after writes right)."""

    def __init__(self, window_s: float, redis_url: str | None = None) -> None:
        self.window_s = window_s
        self._memory: dict[str, float] = {}  # key -> until (monotonic seconds)
        self._redis = None
        if redis_url:
            import redis.asyncio

            self._redis = redis.asyncio.Redis.from_url(redis_url)

    async def note(self, *keys: str) -> None:
        if self._redis is not None:
            async with self._redis.pipeline(transaction=False) as pipeline:
                for key in keys:
                    pipeline.set(_redis_key(key), b"1", px=int(self.window_s * 1000))
                await pipeline.execute()
            return
        now = time.monotonic()
        if len(self._memory) > _MEMORY_KEYS:
            self._memory = {key: until for key, until in self._memory.items() if until > now}
        for key in keys:
            self._memory[key] = now + self.window_s

    async def any_of(self, *keys: str) -> bool:
        if self._redis is not None:
            return bool(await self._redis.exists(*map(_redis_key, keys)))
        now = time.monotonic()
        return any(self._memory.get(key, 0.0) > now for key in keys)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()


def _redis_key(key: str) -> str:
    return f"jobgraph:wrote:{key}"
