"""One database session per request, bound to the request tenant's pool, always closed; a
database that cannot serve while the request is handled before its answer began (a token
proved in the database, a mutation's commit) is SERVICE_UNAVAILABLE, never an internal
error."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobgraph.db.engine import bind_pool
from jobgraph.db.outages import is_database_outage, log_outage, outage_message
from jobgraph.errors import ServiceUnavailable, error_response
from jobgraph.request_state import state_of

log = logging.getLogger("jobgraph.errors")


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
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if started or not is_database_outage(error):
                raise
            reference = uuid.uuid4().hex[:12]
            log_outage(reference, error)
            unavailable = ServiceUnavailable(outage_message(reference), reference=reference)
            await error_response(unavailable)(scope, receive, send)
        finally:
            # A session that never began a transaction holds no connection (a page read on
            # its own, a cached answer): closing it would only cost a greenlet's switch.
            if session.in_transaction() or session.sync_session.identity_map:
                try:
                    await session.close()
                except Exception as error:  # its connection died with the server: let go
                    if not is_database_outage(error):
                        raise
                    log.warning("a request's database connection was lost: %s", error)
