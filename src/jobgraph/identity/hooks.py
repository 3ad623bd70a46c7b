"""What identity asks of the domains above it: companies belong to jobs, which identity may
not import, so jobs hands it the account's memberships, wired once where the service is
assembled (``graphql/services.py``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.tenancy.registry import Tenant


@dataclass(frozen=True)
class CompanyMembership:
    company_id: uuid.UUID
    company_name: str
    role: str


class Memberships(Protocol):
    async def __call__(
        self, db: AsyncSession, tenant: Tenant, account_id: uuid.UUID
    ) -> list[CompanyMembership]:
        """The companies an account acts for on ``tenant``, by name."""
        ...


@dataclass(frozen=True)
class IdentityHooks:
    memberships: Memberships
