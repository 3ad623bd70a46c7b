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
        session = bind_pool(self.sessions(), state.tenant.pool_id)
        state.db = session
        try:
            await self.app(scope, receive, send)
        finally:
            # A session that never began a transaction holds no connection (a page read on
            # its own, a cached answer): closing it would only cost a greenlet's switch.
            if session.in_transaction() or session.sync_session.identity_map:
                await session.close()
