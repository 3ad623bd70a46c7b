"""One database session per request, bound to the request tenant's pool, always closed."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from jobgraph.db.engine import bind_pool
from jobgraph.request_state import state_of


class SessionPerRequest:
    def __init__(self, app: ASGIApp, sessions: Callable[[], AsyncSession]) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = state_of(scope)
        # Nothing connects until the first query; reads end in a rollback when it closes.
        async with self.sessions() as session:
            state.db = bind_pool(session, state.tenant.pool_id)
            await self.app(scope, receive, send)
