"""GraphQL types of webhooks: endpoints and the log of their deliveries."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from jobgraph.fields import show_id
from jobgraph.webhooks.models import DeliveryStatus, WebhookEvent
from jobgraph.webhooks.models import WebhookDelivery as DeliveryRow
from jobgraph.webhooks.models import WebhookEndpoint as EndpointRow

# The GraphQL enums registered here, importable from here by the modules that use them.
__all__ = ["DeliveryStatus", "WebhookEvent"]

strawberry.enum(
    WebhookEvent,
    description="What a webhook endpoint may be told of (a site's endpoint: postings shown "
    "on the site and its settings; a company's: its postings, applications, invitations).",
)
strawberry.enum(DeliveryStatus, description="Where a delivery stands.")


@strawberry.type(description="Where events are delivered, signed (Standard Webhooks).")
class WebhookEndpoint:
    id: strawberry.ID
    url: str
    events: list[WebhookEvent]
    company_id: strawberry.ID | None = strawberry.field(
        description="The company whose events it receives; null: the site's."
    )
    failing_since: datetime | None = strawberry.field(
        description="Since when deliveries to it fail for good (its owners were told)."
    )
    created_at: datetime

    @classmethod
    def of(cls, row: EndpointRow) -> WebhookEndpoint:
        return cls(
            id=show_id(row.id),
            url=row.url,
            events=[WebhookEvent(event) for event in row.events],
            company_id=show_id(row.company_id) if row.company_id else None,
            failing_since=row.failing_since,
            created_at=row.created_at,
        )


@strawberry.type(description="A new endpoint and its signing secret, shown this once.")
class WebhookEndpointCreated:
    endpoint: WebhookEndpoint
    secret: str = strawberry.field(
        description="whsec_…: verify each delivery's webhook-signature with it (any Standard "
        "Webhooks library does). It is not shown again."
    )


@strawberry.type(description="One event sent (or to be sent) to an endpoint.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="Its webhook-id header: deduplicate on it.")
    event: WebhookEvent
    status: DeliveryStatus
    attempts: int = strawberry.field(
        description="Attempts started, one its sender did not live to record included."
    )
    next_attempt_at: datetime | None = strawberry.field(
        description="When it is tried next; while SENDING, when its sender's lease ends."
    )
    last_status_code: int | None
    last_error: str | None
    last_duration_ms: int | None
    payload: JSON
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, row: DeliveryRow) -> WebhookDelivery:
        return cls(
            id=show_id(row.id),
            event=WebhookEvent(row.event),
            status=DeliveryStatus(row.status),
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            last_duration_ms=row.last_duration_ms,
            payload=JSON(row.payload),
            created_at=row.created_at,
            delivered_at=row.delivered_at,
        )
