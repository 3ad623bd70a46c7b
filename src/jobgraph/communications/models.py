"""What a site's people send its admins (inquiries); announcements go through the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKeyConstraint, Index, String, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from jobgraph.db.models import Base, PoolOwned


class Inquiry(PoolOwned, Base):
    __tablename__ = "inquiries"
    __table_args__ = (
        Index("ix_inquiries_open", "pool_id", "tenant_slug", "status"),
        # A signed-in sender's inquiries are their data: deleting the account deletes them.
        ForeignKeyConstraint(
            ["pool_id", "account_id"], ["accounts.pool_id", "accounts.id"], ondelete="CASCADE"
        ),
    )

    # Set when a signed-in person sent it; anonymous inquiries carry only what was typed.
    account_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    name: Mapped[str | None] = mapped_column(String(100))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8))  # an InquiryStatus
    closed_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(String(1000))


class InquiryStatus(StrEnum):
    OPEN = "OPEN"  # waits for the site's admins
    CLOSED = "CLOSED"
