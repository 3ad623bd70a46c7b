"""Consent: per purpose, recorded with time and wording version, append-only (the current
state of a purpose is its newest record)."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKeyConstraint, Index, String, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from jobgraph.db.models import Base, PoolOwned


class ConsentRecord(PoolOwned, Base):
    __tablename__ = "consent_records"
    __table_args__ = (
        ForeignKeyConstraint(
            ["pool_id", "account_id"], ["accounts.pool_id", "accounts.id"], ondelete="CASCADE"
        ),
        Index(
            "ix_consent_records_current",
            "pool_id",
            "account_id",
            "purpose",
            text("created_at DESC"),
        ),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    purpose: Mapped[str] = mapped_column(String(40))
    granted: Mapped[bool] = mapped_column(Boolean)
    wording_version: Mapped[str] = mapped_column(String(40))
