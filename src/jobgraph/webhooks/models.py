"""Endpoints and their deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, ForeignKeyConstraint, Index, Integer, String
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from jobgraph.db.models import Base, PoolOwned
from jobgraph.db.queue import Queued, QueueStatus


class WebhookEvent(StrEnum):
    POSTING_PUBLISHED = "posting.published"
    POSTING_UPDATED = "posting.updated"
    POSTING_CLOSED = "posting.closed"
    POSTING_EXPIRED = "posting.expired"
    APPLICATION_RECEIVED = "application.received"
    APPLICATION_STATUS_CHANGED = "application.status_changed"
    APPLICATION_WITHDRAWN = "application.withdrawn"
    INVITATION_ACCEPTED = "invitation.accepted"
    INVITATION_DECLINED = "invitation.declined"
    SITE_SETTINGS_CHANGED = "site.settings_changed"


class DeliveryStatus(StrEnum):
    PENDING = QueueStatus.PENDING  # waits for its next attempt
    SENDING = QueueStatus.SENDING  # claimed by a deliverer until its next attempt's time
    DELIVERED = "DELIVERED"
    FAILED = QueueStatus.FAILED  # gave up: its endpoint did not take it for a day


class WebhookEndpoint(PoolOwned, Base):
    """Where a site (company_id None: its admins registered it) or a company wants events."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        ForeignKeyConstraint(
            ["pool_id", "company_id"], ["companies.pool_id", "companies.id"], ondelete="CASCADE"
        ),
        Index("ix_webhook_endpoints_owner", "pool_id", "tenant_slug", "company_id"),
    )

    company_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    url: Mapped[str] = mapped_column(String(500))
    events: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    # The signing secret, encrypted with the service's secret key (shown once, in clear).
    secret: Mapped[str] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(100))
    # Set when a delivery to it failed for good; cleared by its next success.
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookDelivery(PoolOwned, Queued, Base):
    """One event for one endpoint, an item of the queue: its id is the webhook-id the
    receiver deduplicates on."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["pool_id", "endpoint_id"],
            ["webhook_endpoints.pool_id", "webhook_endpoints.id"],
            ondelete="CASCADE",
        ),
        Index("ix_webhook_deliveries_due", "pool_id", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "pool_id", "endpoint_id", "created_at"),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
