"""A GraphQL subscriptions client over a real WebSocket (graphql-transport-ws), as a
partner's or the console's would be."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

PROTOCOL = "graphql-transport-ws"


class LiveClient:
    def __init__(self, websocket: ClientConnection) -> None:
        self.websocket = websocket

    async def init(self, token: str | None) -> dict:
        """connection_init with the token; the server's answer (connection_ack)."""
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await self.send({"type": "connection_init", "payload": payload})
        return await self.receive()

    async def subscribe(self, id: str, query: str, variables: dict | None = None) -> None:
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": id, "type": "subscribe", "payload": payload})

    async def send(self, message: dict) -> None:
        await self.websocket.send(json.dumps(message))

    async def receive(self) -> dict:
        message = await asyncio.wait_for(self.websocket.recv(), 15)
        assert isinstance(message, str), "graphql-transport-ws messages are text frames"
        return json.loads(message)

    async def closed(self) -> tuple[int, str]:
        """The close code and reason, once the server closes the connection."""
        await asyncio.wait_for(self.websocket.wait_closed(), 15)
        code = self.websocket.close_code
        assert code is not None, "the connection closed without a close frame"
        return code, self.websocket.close_reason or ""


@contextlib.asynccontextmanager
async def live(
    port: int,
    token: str | None = None,
    tenant: str | None = "jobboard",
    host: str | None = None,
    **options: Any,
) -> AsyncIterator[LiveClient]:
    """A connection to the service on ``port``, for ``tenant`` (X-Tenant) or, with ``host``,
    for the site serving that hostname (as a browser connects); signed in with ``token``
    when given."""
    headers = {"X-Tenant": tenant} if tenant and not host else {}
    url = f"ws://{host or '127.0.0.1'}:{port}/graphql"
    async with connect(
        url,
        subprotocols=[PROTOCOL],  # type: ignore[list-item]
        additional_headers=headers,
        host="127.0.0.1",
        open_timeout=15,
        **options,
    ) as websocket:
        client = LiveClient(websocket)
        if token is not None:
            ack = await client.init(token)
            assert ack == {"type": "connection_ack"}, ack
        yield client
