"""The notification outbox: what is to be sent to whom, written in the same transaction as
the reason to send it, delivered by a sender that marks what it sent."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    DateTime,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from jobgraph.db.models import Base, PoolOwned
from jobgraph.db.queue import Queued, QueueStatus


class NotificationStatus(StrEnum):
    """The queue's statuses (db/queue.py), and SENT."""

    PENDING = QueueStatus.PENDING
    SENDING = QueueStatus.SENDING
    SENT = "SENT"
    FAILED = QueueStatus.FAILED


class Notification(PoolOwned, Queued, Base):
    """A message of the outbox: an item of the queue (its status, attempts, lease)."""

    __tablename__ = "notifications"
    __table_args__ = (
        ForeignKeyConstraint(
            ["pool_id", "account_id"], ["accounts.pool_id", "accounts.id"], ondelete="CASCADE"
        ),
        # The same reason never yields two messages (e.g. one digest per search per run).
        UniqueConstraint("pool_id", "dedupe_key"),
        Index("ix_notifications_pending", "pool_id", "status", "next_attempt_at"),
    )

    # None for mail to an address without an account (an invitation to a company).
    account_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(30))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
