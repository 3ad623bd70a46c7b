"""Consent (per purpose, append-only: the newest record of a purpose is the seeker's choice)
and the record of disclosures."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKeyConstraint, Index, String, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
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
    # For THIRD_PARTY_DISCLOSURE: the named third party the consent is for ('' otherwise).
    third_party: Mapped[str] = mapped_column(String(100), server_default="")
    granted: Mapped[bool] = mapped_column(Boolean)
    wording_version: Mapped[str] = mapped_column(String(40))


class DisclosureRecord(PoolOwned, Base):
    """One disclosure of a resume's personal information to someone but its owner."""

    __tablename__ = "disclosures"
    __table_args__ = (
        ForeignKeyConstraint(
            ["pool_id", "subject_account_id"],
            ["accounts.pool_id", "accounts.id"],
            ondelete="CASCADE",
        ),
        Index("ix_disclosures_subject", "pool_id", "subject_account_id"),
    )

    subject_account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    recipient: Mapped[str] = mapped_column(String(200))  # an actor, or an authority's name
    recipient_company_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    fields: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(String(500))  # purpose, legal basis, reference
    hidden_from_subject: Mapped[bool] = mapped_column(default=False)


class RetainedRecord(PoolOwned, Base):
    """What the law makes us keep after an account is deleted, under a pseudonym: e.g. that
    a lawful disclosure took place, never the personal values disclosed."""

    __tablename__ = "retained_records"

    pseudonym: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSONB)
