"""Rate limits, as sliding windows: in Redis when JOBGRAPH_REDIS_URL is set, so that every
process of the service counts together (one script per hit, ``_HIT_WINDOW``; a high
limit's hits leased a tenth at a time, ``RateLimiter``); in this process's memory otherwise
(``LocalWindows``, the same count). Limits are written as the ``limits`` library parses
them ("5/minute"). Each caller's budget of cost points is kept here too (``CostBuckets``),
its points leased the same way (``Leases``).
While Redis cannot be reached, each process counts in its own memory (a limit then holds
per process, not across them) and says so once in its log; it counts in Redis again as
soon as Redis answers.

A refused hit raises ``RateLimited`` with the seconds to wait, which the API reports as
``RATE_LIMITED`` with ``retryAfter``."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import redis.asyncio as redis
import redis.exceptions as redis_errors
from limits import RateLimitItem, parse

from jobgraph.caches import CacheSpec, each
from jobgraph.errors import ErrorCode, JobgraphError
from jobgraph.waiting import Together

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


# How long a request waits for Redis before counting in this process instead.
REDIS_TIMEOUT_S = 0.5
# Keys one process counts without Redis (about 250 bytes each, so 25 MB at most): past
# this many, the longest unused is let go.
MAX_LOCAL_WINDOWS = 100_000


class LocalWindows:
    """The sliding window counter ``_HIT_WINDOW`` keeps in Redis, kept in this process's
    memory as plain numbers (its windows aligned on the clock, as the ``limits`` library
    aligns them in memory; Redis's start at a key's first hit), the previous window's hits
    weighted by the share of it still inside the sliding window, no rounding down. The
    library's memory storage costs several awaited storage calls and a timer per key on
    every request."""

    def __init__(self) -> None:
        self._windows: OrderedDict[str, tuple[int, int, int]] = OrderedDict()

    def hit(self, item: RateLimitItem, key: str) -> float | None:
        """Count one hit of ``key``: None if it fits ``item``, else the seconds until one
        would (nothing counted)."""
        expiry, amount, now = item.get_expiry(), item.amount, time.time()
        window = int(now // expiry)
        kept = self._windows.pop(key, None)
        previous = current = 0
        if kept is not None and kept[0] == window:
            previous, current = kept[1], kept[2]
        elif kept is not None and kept[0] == window - 1:
            previous = kept[2]
        remaining = expiry - now % expiry  # of this window: the previous one's weight
        if previous * remaining / expiry + current + 1 > amount:
            self._windows[key] = (window, previous, current)
            return seconds_until_room(amount, previous, current, remaining, expiry)
        self._windows[key] = (window, previous, current + 1)
        if len(self._windows) > MAX_LOCAL_WINDOWS:
            self._windows.popitem(last=False)
        return None


def seconds_until_room(
    amount: int, previous: int, current: int, remaining: float, expiry: int
) -> float:
    """When one more hit would fit, with no other hit meanwhile: later in this window as
    the previous one's weight falls, or into the next, where this one's hits weigh. Up to
    a window and a share of the next (72 s for five a minute all spent as a window began:
    the five still weigh more than four for the next window's first 12 s)."""
    room = amount - 1 - current
    if room >= 0 and previous:
        return remaining - room * expiry / previous
    return remaining + expiry * (1 - (amount - 1) / current)


# One hit of a key in Redis (KEYS[1]; ARGV: the limit's amount, its window in seconds and
# the hits a process would lease beside it), counted as LocalWindows counts it: the previous
# window's hits weighted by the share of it still inside the sliding window, no rounding
# down; a window starts with its key's first hit (after two windows without one, the next
# hit starts anew). Redis's clock, so that every process sees the same windows. The lease
# is counted too where the window has room for two beyond the hit (``RateLimiter``).
# Answers whether the hit was counted, the counts and the rest of the window a refused one
# waits on, the hits leased, and the window's start (which a lease's return names).
_HIT_WINDOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local amount, expiry = tonumber(ARGV[1]), tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local kept = redis.call('HMGET', KEYS[1], 'start', 'previous', 'current')
local start, previous, current = now, 0, 0
if kept[1] then
  start, previous, current = tonumber(kept[1]), tonumber(kept[2]), tonumber(kept[3])
  local passed = math.floor((now - start) / expiry)
  if passed >= 2 then
    start, previous, current = now, 0, 0
  elseif passed == 1 then
    start, previous, current = start + expiry, current, 0
  end
end
local remaining = start + expiry - now
local counted = previous * remaining / expiry + current
if counted + 1 > amount then
  return {0, previous, current, tostring(remaining), 0, tostring(start)}
end
local leased = 0
if lease > 0 and counted + 1 + 2 * lease <= amount then
  leased = lease
end
redis.call('HSET', KEYS[1], 'start', tostring(start), 'previous', previous,
  'current', current + 1 + leased)
redis.call('PEXPIRE', KEYS[1], math.ceil((start + 2 * expiry - now) * 1000))
return {1, previous, current, tostring(remaining), leased, tostring(start)}
"""

# Hits leased and not used, given back (KEYS: the windows; ARGV: for each, the hits, the
# start of the window they were counted in and its length): taken off that window's count,
# or off the previous one's where the window has turned since (a start Redis wrote with
# tostring's 14 digits: compared within a millisecond).
_RETURN_HITS = """
for i = 1, #KEYS do
  local at = (i - 1) * 3
  local hits, start = tonumber(ARGV[at + 1]), ARGV[at + 2]
  local expiry = tonumber(ARGV[at + 3])
  local kept = redis.call('HMGET', KEYS[i], 'start', 'previous', 'current')
  if kept[1] == start then
    redis.call('HSET', KEYS[i], 'current', math.max(0, tonumber(kept[3]) - hits))
  elseif kept[1] and math.abs(tonumber(kept[1]) - tonumber(start) - expiry) < 0.001 then
    redis.call('HSET', KEYS[i], 'previous', math.max(0, tonumber(kept[2]) - hits))
  end
end
return 0
"""

# Limits of at least so many hits a window are leased (``RateLimiter``): a tenth of it.
LEASE_FROM_HITS = 100
HITS_LEASE_SHARE = 0.1
# How long a process keeps hits leased: then what is left goes back.
HITS_LEASE_S = 1.0


class _Expiring(Protocol):
    until: float  # monotonic


L = TypeVar("L", bound=_Expiring)


class Leases(Generic[L]):
    """What a process holds ahead of its requests (hits of a window, a caller's points),
    by key, oldest first, at most ``most``: each handed to ``ended`` once its ``until``
    has passed (one timer, for the oldest), or when the most are held (the oldest)."""

    def __init__(self, ended: Callable[[list[L]], None], most: int) -> None:
        self._held: OrderedDict[str, L] = OrderedDict()
        self._ended = ended
        self._most = most
        self._timer: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        return len(self._held)

    def get(self, key: str) -> L | None:
        return self._held.get(key)

    def pop(self, key: str) -> L | None:
        return self._held.pop(key, None)

    def put(self, key: str, lease: L) -> None:
        """Hold ``lease`` (the caller ends any it replaces: ``pop`` it first)."""
        self._held[key] = lease
        if len(self._held) > self._most:
            self._ended([self._held.popitem(last=False)[1]])
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(
                max(0.0, lease.until - time.monotonic()), self._end_old
            )

    def end_all(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        held, self._held = list(self._held.values()), OrderedDict()
        self._ended(held)

    def _end_old(self) -> None:
        self._timer = None
        now, ended = time.monotonic(), []
        while self._held:
            key, lease = next(iter(self._held.items()))
            if lease.until > now:
                self._timer = asyncio.get_running_loop().call_later(
                    lease.until - now, self._end_old
                )
                break
            ended.append(self._held.pop(key))
        self._ended(ended)


@dataclass
class _HitsLease:
    """Hits of a window this process counted in Redis ahead of its requests."""

    redis_key: str
    hits: int
    start: str  # the window's, as Redis holds it
    expiry: int
    until: float  # monotonic


class RateLimiter:
    """Sliding windows of hits, shared through Redis where configured. A call to Redis
    costs a process about a tenth of a millisecond, a share of every request: a limit of
    at least LEASE_FROM_HITS a window (requests a minute per address or site key, not
    sign-ins) is leased a tenth at a time, counted in Redis with a hit where the window has
    room for two leases beyond it, and the next hits of its key in this process take no
    call. What a lease leaves unused goes back after HITS_LEASE_S (or its window's end,
    if sooner): until then the other processes count it as spent (stricter, never looser),
    and a key near its limit is counted in Redis hit by hit by every process."""

    def __init__(self, redis_url: str | None = None, lease_s: float = HITS_LEASE_S) -> None:
        self._local = LocalWindows()
        self._client = counting_client(redis_url)
        self._hit = self._client.register_script(_HIT_WINDOW) if self._client else None
        self._return = self._client.register_script(_RETURN_HITS) if self._client else None
        self._lease_s = lease_s
        self._leases: Leases[_HitsLease] = Leases(self._return_soon, MAX_LOCAL_WINDOWS)
        # One call to Redis about a key at a time: a hundred requests of one caller at once,
        # with no lease left, made a hundred calls, each leasing a tenth of the caller's
        # allowance and handing back the one before; the others spend the lease it brings.
        self._asking = Together()
        self._returning: set[asyncio.Task[None]] = set()
        self._all_back = asyncio.Event()
        self._all_back.set()
        self.redis = RedisReach("the rate limits")

    async def close(self) -> None:
        self.end_leases()
        await self.all_returned()
        if self._client is not None:
            await self._client.aclose()

    async def hit(self, limit: str, *key: str, message: str) -> None:
        """Count one hit of ``key`` against ``limit`` (e.g. "5/minute")."""
        item = _parsed(limit)
        counted = item.key_for(*key)
        wait: float | None = None
        if self._hit is not None:
            if self._spent_lease(counted):
                return
            try:
                wait, own = await self._asking.result(
                    counted, lambda: self._shared_hit(item, counted)
                )
                if not own:  # another request's call, answered: spend the lease it brought
                    if self._spent_lease(counted):
                        return
                    wait = await self._shared_hit(item, counted)
                self.redis.answered()
                if wait is None:
                    return
            except (redis_errors.RedisError, OSError) as error:
                self.redis.lost(type(error).__name__)
        if wait is None:
            wait = self._local.hit(item, counted)
            if wait is None:
                return
        retry_after = max(1, math.ceil(wait))
        raise RateLimited(f"{message} Try again in {retry_after} seconds.", retry_after)

    def _spent_lease(self, key: str) -> bool:
        """One hit of ``key`` taken from its lease in this process, if it holds one."""
        lease = self._leases.get(key)
        if lease is not None and lease.hits > 0 and time.monotonic() < lease.until:
            lease.hits -= 1
            return True
        return False

    async def _shared_hit(self, item: RateLimitItem, key: str) -> float | None:
        """One hit counted in Redis: None if it fits, else the seconds until one would."""
        assert self._hit is not None
        expiry = item.get_expiry()
        leasing = int(item.amount * HITS_LEASE_SHARE) if item.amount >= LEASE_FROM_HITS else 0
        redis_key = f"jobgraph:rate:{key}"
        counted, previous, current, remaining, leased, start = await self._hit(
            keys=[redis_key], args=[item.amount, expiry, leasing]
        )
        if not counted:
            return seconds_until_room(item.amount, previous, current, float(remaining), expiry)
        if leased:
            now = time.monotonic()
            until = now + min(self._lease_s, float(remaining))
            self._lease(key, _HitsLease(redis_key, leased, start.decode(), expiry, until))
        return None

    def _lease(self, key: str, lease: _HitsLease) -> None:
        earlier = self._leases.pop(key)
        if earlier is not None:  # another request of the key's leased meanwhile
            self._return_soon([earlier])
        self._all_back.clear()
        self._leases.put(key, lease)

    def end_leases(self) -> None:
        """Give back what every lease left unused (at once, in the background)."""
        self._leases.end_all()

    def _return_soon(self, leases: list[_HitsLease]) -> None:
        task = asyncio.get_running_loop().create_task(self._return_hits(leases))
        self._returning.add(task)
        task.add_done_callback(self._returned)

    def _returned(self, task: asyncio.Task[None]) -> None:
        self._returning.discard(task)
        if not self._returning and not len(self._leases):
            self._all_back.set()

    async def _return_hits(self, leases: list[_HitsLease]) -> None:
        unused = [lease for lease in leases if lease.hits > 0]
        if not unused or self._return is None:
            return
        arguments: list[Any] = []
        for lease in unused:
            arguments += [lease.hits, lease.start, lease.expiry]
        try:
            await self._return(keys=[lease.redis_key for lease in unused], args=arguments)
            self.redis.answered()
        except (redis_errors.RedisError, OSError) as error:
            self.redis.lost(type(error).__name__)  # counted as spent: stricter, not looser

    async def all_returned(self) -> None:
        """Until every hit leased so far is used or back in Redis (or lost with it)."""
        await self._all_back.wait()


def counting_client(redis_url: str | None) -> redis.Redis | None:
    """A Redis client for counting across processes, quick to give up (``REDIS_TIMEOUT_S``)
    so that a request counts in its own process instead; None without a URL."""
    if not redis_url:
        return None
    return redis.Redis.from_url(
        redis_url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
    )


class RedisReach:
    """Whether Redis answers, for what a process counts there (``what``): while it does
    not, each process counts on its own; said once in the log when Redis stops answering,
    and once when it answers again."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.away = False

    def lost(self, error: object) -> None:
        if not self.away:
            log.warning(
                "Redis cannot be reached (%s): each process counts %s on its own until it "
                "answers again",
                error,
                self.what,
            )
            self.away = True

    def answered(self) -> None:
        if self.away:
            log.warning("Redis answers again: %s are counted there again", self.what)
            self.away = False


# Callers' buckets of cost points (graphql/budget.py), each refilled at its restore rate up
# to its maximum, settled in one call: KEYS are buckets, ARGV a cost, maximum, restore rate
# and lease for each; a cost is taken out where the bucket holds it, and a negative cost
# (points given back) always is. A lease (``CostBuckets``) is taken beside a cost only where
# the bucket holds at least two leases beyond it, so that a bucket running low is counted
# here, exactly, by every process. Answers whether the last cost was taken, what its bucket
# holds, and the points leased. A full bucket keeps no state (its key expires when it would
# be full again).
_SETTLE_POINTS = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local taken, points, leased = 0, 0, 0
for i = 1, #KEYS do
  local at = (i - 1) * 4
  local cost, maximum = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  local rate, lease = tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])
  local kept = redis.call('HMGET', KEYS[i], 'points', 'at')
  points = maximum
  if kept[1] then
    points = math.min(maximum, tonumber(kept[1]) + (now - tonumber(kept[2])) * rate)
  end
  taken, leased = 0, 0
  if points >= cost then
    if lease > 0 and points >= cost + 2 * lease then
      leased = lease
    end
    points = math.min(maximum, points - cost - leased)
    taken = 1
  end
  redis.call('HSET', KEYS[i], 'points', tostring(points), 'at', tostring(now))
  redis.call('EXPIRE', KEYS[i], math.ceil((maximum - points) / rate) + 1)
end
return {taken, tostring(points), leased}
"""

# Points a process gives back wait at most this long in it for a take to carry them.
GIVE_BACK_WITHIN_S = 0.05
# How long a process keeps a lease of a caller's points: then what is left of it goes
# back to Redis (with the next take, or on its own).
LEASE_S = 1.0
# A lease is this share of its bucket.
LEASE_SHARE = 0.1

# Buckets one process keeps without Redis (only those not full: about 200 bytes each, so
# 20 MB at most): past this many, the longest unused is let go.
MAX_LOCAL_BUCKETS = 100_000


@dataclass(frozen=True)
class Bucket:
    """A caller's bucket after a take: whether the points were taken, what is left."""

    taken: bool
    available: float
    maximum: int
    restore_rate: int

    def seconds_until(self, cost: int) -> int:
        return max(1, math.ceil((cost - self.available) / self.restore_rate))


@dataclass
class _Lease:
    """A caller's points this process took from Redis ahead of its queries: ``points``
    left to spend, ``kept``: what Redis held beside them at ``at`` (monotonic), of a
    bucket of ``maximum`` refilled by ``restore_rate``."""

    redis_key: str
    points: float
    kept: float
    maximum: int
    restore_rate: int
    at: float
    until: float

    def of(self, maximum: int, restore_rate: int) -> bool:
        """Whether it is of a bucket of this size (a site's policy may change it)."""
        return self.maximum == maximum and self.restore_rate == restore_rate

    def bucket(self, now: float, taken: bool = True) -> Bucket:
        """The caller's bucket as this process knows it: Redis's part refilled since."""
        maximum, rate = self.maximum, self.restore_rate
        redis_part = min(maximum, self.kept + (now - self.at) * rate)
        return Bucket(taken, min(maximum, redis_part + self.points), maximum, rate)


class CostBuckets:
    """Each caller's cost points, where every process counts together: in Redis where
    JOBGRAPH_REDIS_URL is set, else in this process (then the only one). While Redis cannot
    be reached, each process counts on its own, and says so once.

    A call to Redis costs a process about a tenth of a millisecond, as much as a tenth of a
    search page, so most requests make none:
    - **Leases.** A take from a bucket that holds plenty also takes a lease (a tenth of
      the bucket), which the caller's next queries in this process
      spend without a call. A take the lease cannot cover hands the lease back in the same
      call, so Redis then counts the caller's whole bucket; a lease is only taken where the
      bucket holds two beyond the cost, so a caller near its limit is counted in Redis, one
      call a query, by every process. What a lease has left goes back after LEASE_S.
    - **Points given back ride along.** What a query did not use goes to its caller's lease
      or waits in the process (``give_back``) and rides along with its next take, whoever's
      it is, or goes on its own within GIVE_BACK_WITHIN_S.
    Until they arrive, another process sees the bucket that much lower (stricter, never
    looser): by at most a lease and a query's unused part, for at most LEASE_S."""

    def __init__(self, redis_url: str | None = None, lease_s: float = LEASE_S) -> None:
        self._client = counting_client(redis_url)
        self._settle = self._client.register_script(_SETTLE_POINTS) if self._client else None
        self._local: OrderedDict[str, tuple[float, float]] = OrderedDict()  # points, at
        self._lease_s = lease_s
        self._leases: Leases[_Lease] = Leases(self._end_leases, MAX_LOCAL_BUCKETS)
        self._asking = Together()  # one call to Redis about a key at a time (RateLimiter)
        # Points given back, not yet sent, by Redis key: points, maximum, restore rate.
        self._given_back: dict[str, tuple[float, int, int]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._all_sent = asyncio.Event()
        self._all_sent.set()
        self.redis = RedisReach("the cost budgets")

    async def close(self) -> None:
        self.end_leases()
        await self._send_given_back()
        await self.all_given_back()
        if self._client is not None:
            await self._client.aclose()

    async def all_given_back(self) -> None:
        """Until every point this process gave back or holds in a lease so far is in Redis
        (or lost with it)."""
        await self._all_sent.wait()

    async def take(self, key: str, cost: int, maximum: int, restore_rate: int) -> Bucket:
        """Take ``cost`` points from ``key``'s bucket if it holds them (a negative cost
        gives points back at once, up to the maximum)."""
        if self._settle is None:
            return self._take_here(key, cost, maximum, restore_rate)
        taken = self._from_lease(key, cost, maximum, restore_rate)
        if taken is not None:
            return taken
        bucket, own = await self._asking.result(
            key, lambda: self._settled(key, cost, maximum, restore_rate)
        )
        if own:
            return bucket
        # Another request's call, answered: spend the lease it brought, or ask on its own.
        taken = self._from_lease(key, cost, maximum, restore_rate)
        return taken if taken is not None else await self._settled(key, cost, maximum, restore_rate)

    def _from_lease(self, key: str, cost: int, maximum: int, restore_rate: int) -> Bucket | None:
        """``cost`` taken from ``key``'s lease in this process, if it holds one that covers
        it (None: Redis must count it)."""
        lease = self._leases.get(key)
        now = time.monotonic()
        if (
            lease is not None
            and 0 <= cost <= lease.points
            and now < lease.until
            and lease.of(maximum, restore_rate)
        ):
            lease.points -= cost
            return lease.bucket(now)
        return None

    async def _settled(self, key: str, cost: int, maximum: int, restore_rate: int) -> Bucket:
        """``cost`` taken in Redis (or here, while Redis cannot be reached); a lease held
        that does not cover it handed back in the same call."""
        assert self._settle is not None  # Redis is configured (take)
        lease = self._leases.pop(key)
        if lease is not None:
            self._end_leases([lease])
        keys, arguments = self._given_back_now()
        redis_key = f"jobgraph:cost:{key}"
        keys.append(redis_key)
        leasing = int(maximum * LEASE_SHARE) if cost > 0 else 0
        arguments += [cost, maximum, restore_rate, leasing]
        try:
            taken, points, leased = await self._settle(keys=keys, args=arguments)
            self.redis.answered()
        except (redis_errors.RedisError, OSError) as error:
            self.redis.lost(type(error).__name__)
            return self._take_here(key, cost, maximum, restore_rate)
        finally:
            self._sent()
        if leased:
            now = time.monotonic()
            until = now + self._lease_s
            self._lease(
                key, _Lease(redis_key, leased, float(points), maximum, restore_rate, now, until)
            )
        return Bucket(bool(taken), float(points) + float(leased), maximum, restore_rate)

    def give_back(self, key: str, points: int, after: Bucket) -> Bucket:
        """Give ``points`` back to ``key``'s bucket, which ``after`` is the take of: to the
        caller's lease in this process, else in Redis with this process's next call there,
        in this process at once without Redis; the bucket as it will be."""
        if self._settle is None or self.redis.away:
            return self._take_here(key, -points, after.maximum, after.restore_rate)
        lease = self._leases.get(key)
        now = time.monotonic()
        if lease is not None and now < lease.until:
            lease.points += points
            return lease.bucket(now, after.taken)
        self._give_back_later(f"jobgraph:cost:{key}", points, after.maximum, after.restore_rate)
        available = min(after.maximum, after.available + points)
        return Bucket(after.taken, available, after.maximum, after.restore_rate)

    def end_leases(self) -> None:
        """Hand back what every lease has left (with the next call to Redis)."""
        self._leases.end_all()

    def _lease(self, key: str, lease: _Lease) -> None:
        earlier = self._leases.pop(key)
        if earlier is not None:  # another request of the caller's leased meanwhile
            lease.points += earlier.points
        self._all_sent.clear()
        self._leases.put(key, lease)

    def _end_leases(self, leases: list[_Lease]) -> None:
        for lease in leases:
            if lease.points > 0:
                maximum, rate = lease.maximum, lease.restore_rate
                self._give_back_later(lease.redis_key, lease.points, maximum, rate)
        self._sent()

    def _give_back_later(self, redis_key: str, points: float, maximum: int, rate: int) -> None:
        waiting = self._given_back.get(redis_key, (0, 0, 0))[0]
        self._given_back[redis_key] = (waiting + points, maximum, rate)
        self._all_sent.clear()
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(GIVE_BACK_WITHIN_S, self._send_soon)

    def _given_back_now(self) -> tuple[list[str], list[float]]:
        """The points waiting to be given back, as a settle's keys and arguments: handed
        to the call that sends them."""
        keys: list[str] = []
        arguments: list[float] = []
        for key, (points, maximum, restore_rate) in self._given_back.items():
            keys.append(key)
            arguments += [-points, maximum, restore_rate, 0]
        self._given_back = {}
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        return keys, arguments

    def _sent(self) -> None:
        if not self._given_back and not self._sending and not len(self._leases):
            self._all_sent.set()

    def _send_soon(self) -> None:
        self._timer = None
        task = asyncio.get_running_loop().create_task(self._send_given_back())
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)
        task.add_done_callback(lambda _task: self._sent())

    async def _send_given_back(self) -> None:
        keys, arguments = self._given_back_now()
        if not keys or self._settle is None:
            self._sent()
            return
        try:
            await self._settle(keys=keys, args=arguments)
            self.redis.answered()
        except (redis_errors.RedisError, OSError) as error:
            self.redis.lost(type(error).__name__)  # what was given back is lost with it
        finally:
            self._sent()

    def _take_here(self, key: str, cost: int, maximum: int, restore_rate: int) -> Bucket:
        now = time.monotonic()
        kept = self._local.pop(key, None)
        points = float(maximum)
        if kept is not None:
            points = min(maximum, kept[0] + (now - kept[1]) * restore_rate)
        taken = points >= cost
        if taken:
            points = min(maximum, points - cost)
        if points < maximum:  # a full bucket needs no state
            self._local[key] = (points, now)
            if len(self._local) > MAX_LOCAL_BUCKETS:
                self._local.popitem(last=False)  # the longest unused, forgetting its debt
        return Bucket(taken, points, maximum, restore_rate)
