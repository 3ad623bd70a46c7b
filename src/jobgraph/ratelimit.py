"""Rate limits, kept by the ``limits`` library in this process's memory.

A refused hit raises ``RateLimited`` with the seconds to wait, which the API reports as
``RATE_LIMITED`` with ``retryAfter``."""

from __future__ import annotations

import math
import time

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from jobgraph.errors import ErrorCode, JobgraphError


class RateLimited(JobgraphError):
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retryAfter=retry_after)
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    async def hit(self, limit: str, *key: str, message: str) -> None:
        """Count one hit of ``key`` against ``limit`` (e.g. "5/minute")."""
        item = parse(limit)
        if await self._limiter.hit(item, *key):
            return
        stats = await self._limiter.get_window_stats(item, *key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(f"{message} Try again in {retry_after} seconds.", retry_after)
