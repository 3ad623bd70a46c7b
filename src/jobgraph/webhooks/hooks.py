"""What webhooks ask of the domains above them, wired where the service and the command
line are assembled (``graphql/services.webhook_hooks``): none is optional, so no sender
can leave out the policy's part."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.tenancy.registry import TenantRegistry
from jobgraph.webhooks.models import WebhookEndpoint


class ApplicantFields(Protocol):
    async def __call__(
        self,
        db: AsyncSession,
        registry: TenantRegistry,
        endpoint: WebhookEndpoint,
        data: Mapping[str, Any],
    ) -> dict[str, Any] | None:
        """What a company's endpoint receives of the applicant of an application.received
        event (``data`` holds its ids), as the site's policy allows, recorded as a
        disclosure in the caller's transaction; None where nothing is."""
        ...


@dataclass(frozen=True)
class WebhookHooks:
    applicant_fields: ApplicantFields
