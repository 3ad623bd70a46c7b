"""This process's one LISTEN connection to the primary: PostgreSQL announces on it what
another process (or a command) changed. Whoever needs an announcement registers for its
channel; the connection is reopened, with a growing wait, whenever it closes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

from jobgraph.waiting import RECONNECT_AFTER_S, resolve, stop, until

log = logging.getLogger(__name__)

LISTENER_NAME = "jobgraph-listener"  # the listening connection's application_name


class Listener:
    """LISTENs on every registered channel over a connection of its own to ``url`` (a
    direct one: a transaction pooler has no LISTEN). With no url it never listens, and
    says so (``listening`` stays False): who relies on it must ask the database instead."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self._channels: dict[str, list[Callable[[str], None]]] = {}
        self._on_change: list[Callable[[], None]] = []
        self._connection: asyncpg.Connection | None = None
        self._task: asyncio.Task[Any] | None = None
        self._listening_changed: list[asyncio.Future[None]] = []

    def on(self, channel: str, callback: Callable[[str], None]) -> None:
        """Call ``callback`` with each announcement's payload on ``channel``."""
        self._channels.setdefault(channel, []).append(callback)

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever listening starts or stops: what was announced in
        between was not heard."""
        self._on_change.append(callback)

    async def start(self) -> None:
        if self.url is None or not self._channels:
            return
        if not await self._listen():
            log.warning("not listening for announcements yet: trying again")
        self._task = asyncio.create_task(self._keep_listening())

    async def close(self) -> None:
        await stop(self._task)
        if self._connection is not None:
            await self._connection.close()

    @property
    def listening(self) -> bool:
        return self._connection is not None and not self._connection.is_closed()

    async def until_listening(self, listening: bool = True) -> None:
        """Until this process listens (with False: until it has stopped)."""
        await until(lambda: self.listening == listening, self._listening_changed)

    async def _listen(self) -> bool:
        try:
            connection = await asyncpg.connect(
                self.url, server_settings={"application_name": LISTENER_NAME}
            )
            for channel, callbacks in self._channels.items():
                await connection.add_listener(channel, _calling(callbacks))
        except (OSError, asyncpg.PostgresError) as error:
            log.warning("cannot listen for announcements: %s", type(error).__name__)
            return False
        self._connection = connection
        self._changed()
        return True

    async def _keep_listening(self) -> None:
        wait = RECONNECT_AFTER_S[0]
        while True:
            if self._connection is not None and not self._connection.is_closed():
                await _closed(self._connection)
                self._changed()
                log.warning("the listening connection closed: listening again")
                wait = RECONNECT_AFTER_S[0]
            await asyncio.sleep(wait)  # a server restarting needs a moment
            if not await self._listen():
                wait = min(wait * 2, RECONNECT_AFTER_S[1])

    def _changed(self) -> None:
        for callback in self._on_change:
            callback()
        resolve(self._listening_changed)


def _calling(callbacks: list[Callable[[str], None]]) -> Callable[..., None]:
    def on_notification(_connection: object, _pid: int, _channel: str, payload: str) -> None:
        for callback in callbacks:
            try:
                callback(payload)
            except Exception:  # one listener's bug must not silence the others
                log.exception("an announcement's listener failed")

    return on_notification


async def _closed(connection: asyncpg.Connection) -> None:
    """Until ``connection`` closes, whoever closes it (the server, the network, us)."""
    closed = asyncio.get_running_loop().create_future()

    def on_close(_connection: object) -> None:
        if not closed.done():
            closed.set_result(None)

    connection.add_termination_listener(on_close)
    await closed
