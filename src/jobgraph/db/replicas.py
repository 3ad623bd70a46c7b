"""Read replicas (JOBGRAPH_READ_DATABASE_URL): a request's reads may go to a streaming
standby, its writes never do.

A session reads from the replica only once the request has been marked as a read (a
GraphQL query, see ``graphql/replicas.py``); any write, and every statement after the
request's first unit of work began (``Context.transaction``), goes to the primary. A
viewer who wrote within the last ``read_your_writes_s`` seconds reads from the primary,
so a change is never missing from its author's next page while the standby catches up.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase

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
