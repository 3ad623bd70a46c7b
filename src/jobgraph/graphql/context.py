"""What every resolver receives as ``info.context``: one per request, for one viewer."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from jobgraph.db.replicas import write_to_primary
from jobgraph.graphql.loaders import Loaders
from jobgraph.graphql.services import Services
from jobgraph.policy.record import DisclosureRecorder
from jobgraph.tenancy.registry import Tenant, TenantRegistry
from jobgraph.viewer import Viewer


@dataclass
class Context:
    request: Request
    response: Response
    tenant: Tenant
    viewer: Viewer
    db: AsyncSession
    services: Services
    sites: TenantRegistry
    loaders: Loaders = field(init=False)
    disclosures: DisclosureRecorder = field(default_factory=DisclosureRecorder)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db, self.tenant)

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
        async with self.db.begin():
            yield self.db

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
        return self.request.client.host if self.request.client else "unknown"
