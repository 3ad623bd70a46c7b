"""Rate limits, kept by the ``limits`` library: in Redis when JOBGRAPH_REDIS_URL is set, so
that every process of the service counts together; in this process's memory otherwise.

A refused hit raises ``RateLimited`` with the seconds to wait, which the API reports as
``RATE_LIMITED`` with ``retryAfter``."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from jobgraph.caches import CacheSpec, each
from jobgraph.errors import ErrorCode, JobgraphError

# Limits as sites' policies write them ("5/minute"), parsed.
LIMITS: CacheSpec[str, RateLimitItem] = CacheSpec(
    "rate_limits", key="a limit as a policy writes it", max_bytes=2**20, weigh=each(1024)
)


def _parsed(limit: str) -> RateLimitItem:
    item = LIMITS.get(limit)
    if item is None:
        item = parse(limit)
        LIMITS.put(limit, item)
    return item


class RateLimited(JobgraphError):
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retryAfter=retry_after)
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, redis_url: str | None = None) -> None:
        storage = (
            storage_from_string(f"async+{redis_url}", implementation="redispy")
            if redis_url
            else MemoryStorage()
        )
        self._storage = storage
        # Two counters per key, whatever its limit (a moving window keeps every hit).
        self._limiter = SlidingWindowCounterRateLimiter(storage)

    async def close(self) -> None:
        # limits keeps its Redis client on the storage's bridge and does not close it.
        client = getattr(getattr(self._storage, "bridge", None), "storage", None)
        if client is not None:
            await client.aclose()

    async def hit(self, limit: str, *key: str, message: str) -> None:
        """Count one hit of ``key`` against ``limit`` (e.g. "5/minute")."""
        item = _parsed(limit)
        if await self._limiter.hit(item, *key):
            return
        stats = await self._limiter.get_window_stats(item, *key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(f"{message} Try again in {retry_after} seconds.", retry_after)
