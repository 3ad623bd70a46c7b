"""The tenants a process serves, and which one a request is for."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.tenancy.config import TenantConfig
from jobgraph.tenancy.models import TenantRow


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

    def get(self, slug: str) -> Tenant | None:
        return self._by_slug.get(slug)

    def for_host(self, host: str) -> Tenant | None:
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return self._by_hostname.get(hostname.lower().rstrip("."))
