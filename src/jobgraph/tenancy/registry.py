"""The tenants a process serves, and which one a request is for."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobgraph.db.engine import pooled_by_transaction
from jobgraph.tenancy.config import TenantConfig
from jobgraph.tenancy.models import PoolDataVersion, TenantRegistryState, TenantRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tenant:
    slug: str
    pool_id: str
    version: int
    config: TenantConfig

    @property
    def is_partner_site(self) -> bool:
        return self.config.parent is not None


class TenantRegistry:
    def __init__(self, tenants: list[Tenant]) -> None:
        self._by_slug = {tenant.slug: tenant for tenant in tenants}
        self._by_hostname = {
            hostname: tenant for tenant in tenants for hostname in tenant.config.hostnames
        }

    @classmethod
    async def load(cls, session: AsyncSession) -> TenantRegistry:
        rows = (await session.scalars(select(TenantRow))).all()
        return cls(
            [
                Tenant(row.slug, row.pool_id, row.version, TenantConfig.model_validate(row.config))
                for row in rows
            ]
        )

    def __len__(self) -> int:
        return len(self._by_slug)

    def tenants(self) -> list[Tenant]:
        return sorted(self._by_slug.values(), key=lambda tenant: tenant.slug)

    def pools(self) -> list[str]:
        return sorted({tenant.pool_id for tenant in self._by_slug.values()})

    def get(self, slug: str) -> Tenant | None:
        return self._by_slug.get(slug)

    def for_host(self, host: str) -> Tenant | None:
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return self._by_hostname.get(hostname.lower().rstrip("."))


# The registry's version and every pool's data version, in the one read per request.
_VERSIONS = select(
    TenantRegistryState.version,
    select(
        func.json_object_agg(PoolDataVersion.pool_id, PoolDataVersion.version)
    ).scalar_subquery(),
)


class RegistryCache:
    """This process's copy of the registry, checked against the database's registry
    version on every request (one small read) and reloaded when another process, or a
    `jobgraph tenants sync`, changed it: changes apply from the next request on."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        bind = sessions.kw["bind"]
        # Behind a transaction pooler, a statement outside a transaction could be prepared
        # on one server and run on another: there the check runs in a transaction.
        self._autocommit = (
            bind
            if pooled_by_transaction(bind)
            else bind.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._registry = TenantRegistry([])
        self._version: int | None = None
        # Each pool's public-data version as of this process's last check (migration 0015).
        self.data_versions: dict[str, int] = {}

    @property
    def version(self) -> int | None:
        """The registry's version as of this process's last check."""
        return self._version

    async def current(self) -> TenantRegistry:
        # One statement outside any transaction (no BEGIN and ROLLBACK around it).
        try:
            async with self._autocommit.connect() as connection:
                row = (await connection.execute(_VERSIONS)).one()
                version, self.data_versions = row[0], dict(row[1] or {})
        except DBAPIError:
            log.warning("the tenant registry cannot be read (is the database migrated?)")
            return self._registry
        if version != self._version:
            async with self._sessions() as session:
                self._registry = await TenantRegistry.load(session)
            self._version = version
        return self._registry
