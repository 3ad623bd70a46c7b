"""Live events: what GraphQL subscriptions hear, from whichever process caused it.

A domain announces an event in the transaction that makes it true (``announce``): it
travels by PostgreSQL's NOTIFY, which delivers it when that transaction commits and never
if it rolls back, to every process that listens (``db/listening.py``). An event carries
ids only, never personal data: what a subscriber is shown of it is read afresh, and
decided by the policy, as a query would be.

Each process keeps its subscribers (``LiveEvents``); a subscriber that falls too far
behind, or a process that stopped listening a moment (events may have passed unheard),
ends its subscriptions with an error saying to subscribe again, rather than skip silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.db.listening import Listener, resolve
from jobgraph.errors import ServiceUnavailable

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


async def announce(db: AsyncSession, event: LiveEvent) -> None:
    """Tell every listening process of ``event`` once the current transaction commits."""
    await db.execute(select(func.pg_notify(CHANNEL, event.encode())))


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


class LiveEvents:
    """This process's subscribers, and the events its listener hears for them."""

    def __init__(self, listener: Listener) -> None:
        self._listener = listener
        self._subscribers: set[Subscriber] = set()
        self._subscriptions_changed: list[asyncio.Future[None]] = []
        # Open live connections per (pool, account), for the per-account limit.
        self.connections: Counter[tuple[str, str]] = Counter()
        listener.on(CHANNEL, self._heard)
        listener.on_change(self._interrupted)

    @property
    def subscriptions(self) -> int:
        return len(self._subscribers)

    async def until_subscriptions(self, count: int) -> None:
        """Until exactly ``count`` subscriptions wait for events in this process."""
        while self.subscriptions != count:
            future = asyncio.get_running_loop().create_future()
            self._subscriptions_changed.append(future)
            await future

    @property
    def available(self) -> bool:
        return self._listener.listening

    @contextlib.asynccontextmanager
    async def subscribe(self, pool: str, topic: Topic) -> AsyncIterator[Subscriber]:
        if not self.available:
            raise ServiceUnavailable(
                "Live events are not available at the moment; try again shortly."
                if self._listener.url
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
