"""What every resolver receives as ``info.context``: one per request, for one viewer; over
WebSocket, one per subscription, renewed for each of its events."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from jobgraph.db.engine import bind_pool
from jobgraph.db.replicas import on_primary, write_to_primary
from jobgraph.errors import BadUserInput, TenantUnknown
from jobgraph.fields import Counting
from jobgraph.graphql.execution import KeptWork
from jobgraph.graphql.loaders import Loaders
from jobgraph.graphql.services import Services
from jobgraph.identity.http import viewer_from
from jobgraph.live import LiveEvent, Topic
from jobgraph.policy.record import DisclosureRecorder
from jobgraph.request_state import state_of
from jobgraph.tenancy.registry import Tenant, TenantRegistry
from jobgraph.viewer import Viewer


@dataclass
class Context:
    request: HTTPConnection
    response: Response | WebSocket
    tenant: Tenant
    viewer: Viewer
    db: AsyncSession
    services: Services
    sites: TenantRegistry
    loaders: Loaders = field(init=False)
    disclosures: DisclosureRecorder = field(default_factory=DisclosureRecorder)
    # Over WebSocket: what proved the viewer (connection_init's payload), proved again
    # at each event of a subscription.
    credentials: Mapping[str, str] | None = None
    # The shapers kept with the request's document, lent to the executor by Admission.
    kept_work: KeptWork | None = None
    # Root fields a plan resolved but could not shape, by response name: the executor
    # completes them without resolving them again (graphql/compiled.py).
    resolved_roots: dict[str, Any] | None = None
    # Where its counts over a whole search were worked out (fields.Counting).
    counting: Counting = field(default_factory=Counting)

    @classmethod
    def of_request(cls, request: Request, response: Response) -> Context:
        """The context of a request over HTTP, from what its middlewares learnt."""
        state = state_of(request.scope)
        return cls(
            request=request,
            response=response,
            tenant=state.tenant,
            viewer=state.viewer,
            db=state.db,
            services=request.app.state.services,
            sites=state.sites,
        )

    def __post_init__(self) -> None:
        self._use(self.db)

    def _use(self, db: AsyncSession) -> None:
        """Work in ``db``: its loaders (one session's, one viewer's), its announcements."""
        self.db = db
        self.loaders = Loaders(db, self.tenant)
        self.services.live.attach(db)

    def for_subscription(self) -> Context:
        """A subscription's own context (a connection runs several at once)."""
        return replace(self, db=self._new_session(), disclosures=DisclosureRecorder())

    async def live_events(self, topic: Topic) -> AsyncIterator[LiveEvent]:
        """A subscription's events of this pool, each with this context renewed for it: the
        sites as they are now, a new session, new loaders, an empty disclosure record, and
        the viewer proved again (a changed policy, a session signed out, an expired token,
        a lost membership show at the next event, as they would at the next request)."""
        if self.credentials is None:
            raise BadUserInput(
                "Subscriptions are served over WebSocket at /graphql (graphql-transport-ws)."
            )
        async with self.services.live.subscribe(self.tenant.pool_id, topic) as subscriber:
            await self.db.close()  # nothing held while events are awaited
            async for event in subscriber:
                await self.db.close()  # the last event's, whether it showed or not
                # The sites as they are now: a policy changed since the connection opened
                # applies to the next event, as it would to the next request.
                sites = await self.services.registry.current()
                tenant = sites.get(self.tenant.slug)
                if tenant is None:
                    raise TenantUnknown(f"The site '{self.tenant.slug}' no longer exists.")
                self.tenant, self.sites = tenant, sites
                self._use(self._new_session())
                self.disclosures = DisclosureRecorder()
                async with self.db.begin():
                    self.viewer = await viewer_from(
                        self.credentials, self.tenant, self.db, self.services
                    )
                yield event

    def _new_session(self) -> AsyncSession:
        return bind_pool(self.services.sessions(), self.tenant.pool_id)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A mutation's unit of work: commits whole when the block ends, or rolls back."""
        write_to_primary(self.db)
        if self.db.in_transaction():
            # Reads of an earlier field of this request (a previous mutation's result, a
            # sibling field still resolving) left a read-only transaction open: end it, so
            # this one starts fresh. With COMMIT, not ROLLBACK: a rollback expires every
            # object loaded so far, and a sibling resolver reading one of them after its
            # next await would have to load it again, outside any await (a crash). A
            # sibling's unfinished changes are never committed by it: those roll back.
            db = self.db
            if db.new or db.dirty or db.deleted:
                await db.rollback()
            else:
                await db.commit()
        try:
            async with self.db.begin():
                yield self.db
        except BaseException:
            self.services.live.rolled_back(self.db)
            raise
        await self.services.live.committed(self.db)

    async def record_disclosures(self) -> None:
        """What the request showed so far, written as disclosed. Where the transaction that
        read it is still open, unchanged and on the primary, in it, with one commit: no
        second checkout, BEGIN and COMMIT for a page of resumes. Where that fails (its
        transaction broken by a field's error), or there is none, in one of its own."""
        db, recorder = self.db, self.disclosures
        if db.in_transaction() and not (db.new or db.dirty or db.deleted) and on_primary(db):
            try:
                await recorder.flush(db, self.tenant, self.viewer.actor)
                await db.commit()
            except Exception:
                await db.rollback()
            else:
                await self.services.live.committed(db)
                recorder.clear()
                return
        async with self.transaction() as db:
            await recorder.flush(db, self.tenant, self.viewer.actor)
        recorder.clear()

    def site(self, slug: str) -> Tenant:
        """A site of this request's pool by its slug (where an application was made)."""
        return self.sites.get(slug) or self.tenant

    @property
    def data_version(self) -> int:
        """The version of the public data of this request's pool (postings, companies),
        as this process knows it at the start of the request."""
        return self.services.registry.data_versions.get(self.tenant.pool_id, 0)

    @property
    def client_address(self) -> str:
        # Read off the scope: Starlette's ``client`` makes a named tuple at each read.
        client = self.request.scope.get("client")
        return client[0] if client else "unknown"
