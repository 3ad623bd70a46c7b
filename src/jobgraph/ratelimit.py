"""Rate limits, kept by the ``limits`` library: in Redis when JOBGRAPH_REDIS_URL is set, so
that every process of the service counts together; in this process's memory otherwise.
While Redis cannot be reached, each process counts in its own memory (a limit then holds
per process, not across them) and says so once in its log; it counts in Redis again as
soon as Redis answers.

A refused hit raises ``RateLimited`` with the seconds to wait, which the API reports as
``RATE_LIMITED`` with ``retryAfter``."""

from __future__ import annotations

import logging
import math
import time
from typing import cast

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, SlidingWindowCounterSupport
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
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


log = logging.getLogger(__name__)


class ExactSlidingWindow(SlidingWindowCounterRateLimiter):
    """The library's sliding window counter (two counters per key, whatever its limit),
    without its rounding down: it floors the previous window's weighted share, so a key
    that spent its whole limit just before a window turned could spend one more just after
    (six sign-ins against five a minute). One more read of the counters per hit."""

    async def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        storage = cast(SlidingWindowCounterSupport, self.storage)
        previous, previous_expires_in, current, _ = await storage.get_sliding_window(
            item.key_for(*identifiers), item.get_expiry()
        )
        if self._weighted_count(item, previous, previous_expires_in, current) + cost > item.amount:
            return False
        return await super().hit(item, *identifiers, cost=cost)


# How long a request waits for Redis before counting in this process instead.
REDIS_TIMEOUT_S = 0.5


class RateLimiter:
    def __init__(self, redis_url: str | None = None) -> None:
        self._local = ExactSlidingWindow(MemoryStorage())
        self._storage = (
            storage_from_string(
                f"async+{redis_url}",
                implementation="redispy",
                wrap_exceptions=True,
                socket_connect_timeout=REDIS_TIMEOUT_S,
                socket_timeout=REDIS_TIMEOUT_S,
            )
            if redis_url
            else None
        )
        self._shared = ExactSlidingWindow(self._storage) if self._storage is not None else None
        self.redis_away = False

    async def close(self) -> None:
        # limits keeps its Redis client on the storage's bridge and does not close it.
        client = getattr(getattr(self._storage, "bridge", None), "storage", None)
        if client is not None:
            await client.aclose()

    async def hit(self, limit: str, *key: str, message: str) -> None:
        """Count one hit of ``key`` against ``limit`` (e.g. "5/minute")."""
        item = _parsed(limit)
        limiter = self._shared or self._local
        try:
            if await limiter.hit(item, *key):
                self._redis_back()
                return
            stats = await limiter.get_window_stats(item, *key)
            self._redis_back()
        except StorageError as error:
            if not self.redis_away:
                log.warning(
                    "Redis cannot be reached (%s): each process counts the rate limits on "
                    "its own until it answers again",
                    error.storage_error,
                )
                self.redis_away = True
            if await self._local.hit(item, *key):
                return
            stats = await self._local.get_window_stats(item, *key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(f"{message} Try again in {retry_after} seconds.", retry_after)

    def _redis_back(self) -> None:
        if self.redis_away:
            log.warning("Redis answers again: the rate limits are counted there again")
            self.redis_away = False
