"""Live events: what GraphQL subscriptions hear, from whichever process caused it.

A domain announces an event in the transaction that makes it true (``announce``): it
travels by PostgreSQL's NOTIFY, which delivers it when that transaction commits and never
if it rolls back, to every process that listens (``db/listening.py``); or, where no
process can LISTEN and Redis is configured (``JOBGRAPH_LIVE_EVENTS=redis``), it is
published to Redis once the request's transaction has committed (``RedisRelay``). An
event carries ids only, never personal data: what a subscriber is shown of it is read
afresh, and decided by the policy, as a query would be.

Each process keeps its subscribers (``LiveEvents``); a subscriber that falls too far
behind, or a process that stopped listening a moment (events may have passed unheard),
ends its subscriptions with an error saying to subscribe again, rather than skip silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import orjson
import redis.asyncio as redis
import redis.exceptions as redis_errors
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.db.listening import Listener
from jobgraph.errors import ServiceUnavailable
from jobgraph.ratelimit import RedisReach, counting_client
from jobgraph.waiting import RECONNECT_AFTER_S, resolve, stop, until

log = logging.getLogger(__name__)

CHANNEL = "jobgraph_live"
# Events a subscriber may have waiting; beyond, it is too slow and is told to resubscribe.
BACKLOG = 256


class Topic(StrEnum):
    APPLICATION = "application"


@dataclass(frozen=True)
class LiveEvent:
    pool: str
    topic: Topic
    kind: str  # what happened, in the topic's words ("received", "changed")
    ids: Mapping[str, str]  # what it happened to: ids only

    def encode(self) -> str:
        return orjson.dumps(
            {"pool": self.pool, "topic": self.topic, "kind": self.kind, "ids": self.ids}
        ).decode()

    @classmethod
    def decode(cls, payload: str) -> LiveEvent:
        data = orjson.loads(payload)
        return cls(data["pool"], Topic(data["topic"]), data["kind"], data["ids"])


# Where a session keeps what it announced until its transaction commits (through Redis).
_RELAY = "jobgraph.live.relay"
_PENDING = "jobgraph.live.pending"


async def announce(db: AsyncSession, event: LiveEvent) -> None:
    """Tell every listening process of ``event`` once the current transaction commits,
    never if it rolls back."""
    if db.info.get(_RELAY) is not None:  # through Redis: published after the commit
        db.info.setdefault(_PENDING, []).append(event)
    else:
        await db.execute(select(func.pg_notify(CHANNEL, event.encode())))


class RedisRelay:
    """Live events through Redis publish and subscribe, for processes that cannot LISTEN
    (behind a transaction pooler): published after the commit, so an event is lost if the
    process dies in between (the webhooks' outbox is the durable path)."""

    def __init__(self, url: str, heard: Callable[[str], None], changed: Callable[[], None]):
        self._client = redis.Redis.from_url(url)
        self._heard = heard
        self._changed = changed
        self._task: asyncio.Task[None] | None = None
        self.listening = False
        self._listening_changed: list[asyncio.Future[None]] = []

    async def start(self) -> None:
        self._task = asyncio.create_task(self._keep_listening())

    async def close(self) -> None:
        await stop(self._task)
        await self._client.aclose()

    async def publish(self, events: list[LiveEvent]) -> None:
        try:
            for event in events:
                await self._client.publish(CHANNEL, event.encode())
        except (redis_errors.RedisError, OSError) as error:
            log.warning("live events not published to Redis: %s", type(error).__name__)

    async def until_listening(self) -> None:
        await until(lambda: self.listening, self._listening_changed)

    async def _keep_listening(self) -> None:
        wait = RECONNECT_AFTER_S[0]
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    async for message in pubsub.listen():
                        if message["type"] == "subscribe":  # Redis confirmed: it listens
                            self._set_listening(True)
                            wait = RECONNECT_AFTER_S[0]
                        elif message["type"] == "message":
                            self._heard(message["data"].decode())
            except (redis_errors.RedisError, OSError) as error:
                log.warning("live events: Redis connection lost: %s", type(error).__name__)
            self._set_listening(False)
            await asyncio.sleep(wait)
            wait = min(wait * 2, RECONNECT_AFTER_S[1])

    def _set_listening(self, listening: bool) -> None:
        if listening != self.listening:
            self.listening = listening
            self._changed()
            resolve(self._listening_changed)


class LiveEventsLost(ServiceUnavailable):
    """Events may have passed this subscriber unheard."""


class Subscriber:
    def __init__(self, pool: str, topic: Topic) -> None:
        self.pool = pool
        self.topic = topic
        self._events: asyncio.Queue[LiveEvent | LiveEventsLost] = asyncio.Queue(BACKLOG + 1)

    def hear(self, event: LiveEvent) -> None:
        if self._events.qsize() >= BACKLOG:
            self.lose(LiveEventsLost("Events came faster than this subscription took them."))
        else:
            self._events.put_nowait(event)

    def lose(self, why: LiveEventsLost) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self._events.put_nowait(why)

    async def __aiter__(self) -> AsyncIterator[LiveEvent]:
        while True:
            event = await self._events.get()
            if isinstance(event, LiveEventsLost):
                raise LiveEventsLost(
                    f"{event} Subscribe again, and read again what you show: events may "
                    "have been missed."
                )
            yield event


# A slot held by a process that died is free again after this long (each process renews
# its slots a third of the way through).
SLOT_TTL_S = 60
_TAKE_SLOT = """
local now = tonumber(redis.call('TIME')[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""
_RENEW_SLOTS = """
local now = tonumber(redis.call('TIME')[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now + tonumber(ARGV[1]), ARGV[i + 1])
  redis.call('EXPIRE', key, tonumber(ARGV[1]))
end
return 0
"""


class ConnectionSlots:
    """The live connections each account holds open, against its site's limit, counted
    where every process counts together: in Redis where JOBGRAPH_REDIS_URL is set (several
    processes need it), else in this process, then the only one. In Redis each connection
    is a slot (a member of the account's sorted set, due to expire ``SLOT_TTL_S`` after its
    last renewal), so a process that dies holding slots frees them by itself. While Redis
    cannot be reached, each process counts on its own, and says so once."""

    def __init__(self, redis_url: str | None = None) -> None:
        self._local: Counter[str] = Counter()
        self._client = counting_client(redis_url)
        self._held: dict[str, tuple[str, bool]] = {}  # slot: (key, counted in Redis)
        self._renewing: asyncio.Task[None] | None = None
        self.redis = RedisReach("live connections")

    @property
    def held(self) -> int:
        """The slots this process holds: its open connections."""
        return len(self._held)

    async def start(self) -> None:
        if self._client is not None:
            self._renewing = asyncio.create_task(self._keep_renewing())

    async def close(self) -> None:
        await stop(self._renewing)
        if self._client is not None:
            await self._client.aclose()

    async def take(self, pool: str, account: str, limit: int) -> str | None:
        """A slot for one more connection of ``account``, or None where it holds ``limit``."""
        key, slot = f"jobgraph:live:{pool}:{account}", uuid.uuid4().hex
        if self._client is not None:
            try:
                taken = await self._client.eval(_TAKE_SLOT, 1, key, limit, SLOT_TTL_S, slot)
                self.redis.answered()
                if not taken:
                    return None
                self._held[slot] = (key, True)
                return slot
            except (redis_errors.RedisError, OSError) as error:
                self.redis.lost(type(error).__name__)
        if self._local[key] >= limit:
            return None
        self._local[key] += 1
        self._held[slot] = (key, False)
        return slot

    async def give_back(self, slot: str) -> None:
        key, in_redis = self._held.pop(slot)
        if not in_redis:
            self._local[key] -= 1
            if self._local[key] <= 0:
                del self._local[key]
            return
        assert self._client is not None
        try:
            await self._client.zrem(key, slot)
        except (redis_errors.RedisError, OSError) as error:  # it expires by itself
            self.redis.lost(type(error).__name__)

    async def _keep_renewing(self) -> None:
        while True:
            await asyncio.sleep(SLOT_TTL_S / 3)
            await self.renew()

    async def renew(self) -> None:
        """Due the slots this process holds in Redis ``SLOT_TTL_S`` from now."""
        assert self._client is not None
        held = [(key, slot) for slot, (key, in_redis) in self._held.items() if in_redis]
        if not held:
            return
        try:
            keys, slots = zip(*held, strict=True)
            await self._client.eval(_RENEW_SLOTS, len(keys), *keys, SLOT_TTL_S, *slots)
        except (redis_errors.RedisError, OSError) as error:
            self.redis.lost(type(error).__name__)


class LiveEvents:
    """This process's subscribers, and the events its listener (or Redis) hears for them;
    the live connections each account holds (``slots``, shared through ``slots_url``)."""

    def __init__(
        self, listener: Listener, redis_url: str | None = None, slots_url: str | None = None
    ) -> None:
        self._listener = listener
        self._subscribers: set[Subscriber] = set()
        self._subscriptions_changed: list[asyncio.Future[None]] = []
        self.slots = ConnectionSlots(slots_url)
        self.relay = RedisRelay(redis_url, self._heard, self._interrupted) if redis_url else None
        if self.relay is None:
            listener.on(CHANNEL, self._heard)
            listener.on_change(self._interrupted)

    async def start(self) -> None:
        await self.slots.start()
        if self.relay is not None:
            await self.relay.start()

    async def close(self) -> None:
        await self.slots.close()
        if self.relay is not None:
            await self.relay.close()

    def attach(self, db: AsyncSession) -> None:
        """Let what ``db`` announces go this process's way (Redis, where configured)."""
        if self.relay is not None:
            db.info[_RELAY] = self.relay

    async def committed(self, db: AsyncSession) -> None:
        """``db``'s transaction committed: publish what it announced (through Redis)."""
        pending: list[LiveEvent] = db.info.pop(_PENDING, [])
        if pending and self.relay is not None:
            await self.relay.publish(pending)

    def rolled_back(self, db: AsyncSession) -> None:
        db.info.pop(_PENDING, None)

    @property
    def subscriptions(self) -> int:
        return len(self._subscribers)

    async def until_subscriptions(self, count: int) -> None:
        """Until exactly ``count`` subscriptions wait for events in this process."""
        await until(lambda: self.subscriptions == count, self._subscriptions_changed)

    @property
    def available(self) -> bool:
        return self.relay.listening if self.relay is not None else self._listener.listening

    @contextlib.asynccontextmanager
    async def subscribe(self, pool: str, topic: Topic) -> AsyncIterator[Subscriber]:
        if not self.available:
            raise ServiceUnavailable(
                "Live events are not available at the moment; try again shortly."
                if self._listener.url or self.relay is not None
                else "This service has no connection to hear live events on "
                "(behind a transaction pooler, set JOBGRAPH_LISTEN_DATABASE_URL)."
            )
        subscriber = Subscriber(pool, topic)
        self._subscribers.add(subscriber)
        resolve(self._subscriptions_changed)
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)
            resolve(self._subscriptions_changed)

    def _heard(self, payload: str) -> None:
        try:
            event = LiveEvent.decode(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("an unreadable live event was ignored")
            return
        for subscriber in self._subscribers:
            if subscriber.pool == event.pool and subscriber.topic == event.topic:
                subscriber.hear(event)

    def _interrupted(self) -> None:
        # Called when listening starts again too: what passed in between was not heard.
        lost = LiveEventsLost("The service stopped hearing live events for a moment.")
        for subscriber in self._subscribers:
            subscriber.lose(lost)
