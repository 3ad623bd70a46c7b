"""What tenancy asks of the domains above it. Tenancy is the lowest domain: it may not
import those that hold a site's data or name its people, so they hand it what it needs,
wired once where the service and the command line are assembled
(``graphql/services.domain_hooks``). Every change of a tenant takes them: none is optional,
so no path can change a policy and skip what the change must do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.policy.fields import ResumeVisibility
from jobgraph.tenancy.registry import Tenant


class WithdrawVisibilities(Protocol):
    async def __call__(
        self, db: AsyncSession, tenant: Tenant, withdrawn: list[ResumeVisibility]
    ) -> int:
        """Move the site's resumes off visibilities it no longer offers, to its default,
        and tell their owners, in the change's own transaction; how many moved."""
        ...


class ActorNames(Protocol):
    async def __call__(self, db: AsyncSession, actors: list[str]) -> dict[str, str]:
        """Each actor of a tenant's history ("account:<id>", "operator:<id>") in words."""
        ...


class SettingsChanged(Protocol):
    async def __call__(self, db: AsyncSession, tenant: Tenant) -> None:
        """Tell who listens (a site's webhooks) that ``tenant``'s settings changed, in the
        change's own transaction."""
        ...


@dataclass(frozen=True)
class TenancyHooks:
    withdraw_visibilities: WithdrawVisibilities
    actor_names: ActorNames
    settings_changed: SettingsChanged
