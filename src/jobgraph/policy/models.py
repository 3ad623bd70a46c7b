"""The record of disclosure's table: the policy decides what is disclosed and records it,
so the record is the policy's own (``policy/record.py`` writes it)."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import ForeignKeyConstraint, Index, String, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from jobgraph.db.models import Base, PoolOwned


class DisclosureReason(StrEnum):
    """Why a disclosure happened, as its record says: a read the policy allowed (by the
    viewer's relationship to the resume), or a disclosure outside the platform."""

    APPLICATION = "APPLICATION"  # to the employer the seeker applied to
    RESUME_SEARCH = "RESUME_SEARCH"  # to an employer searching resumes
    PUBLIC_PROFILE = "PUBLIC_PROFILE"  # to anyone reading a public profile
    STAFF_WITH_PURPOSE = "STAFF_WITH_PURPOSE"  # to the site's staff, with their purpose
    CONSENT = "CONSENT"  # to a third party the seeker consented to
    LAWFUL = "LAWFUL"  # to an authority, as the law requires


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

    # Time-ordered (migration 0033): each record lands at the end of the primary key.
    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("jobgraph_uuid_v7()")
    )
    subject_account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    recipient: Mapped[str] = mapped_column(String(200))  # an actor, or an authority's name
    recipient_company_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    fields: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    reason: Mapped[str] = mapped_column(String(40))  # a DisclosureReason
    detail: Mapped[str | None] = mapped_column(String(500))  # purpose, legal basis, reference
    hidden_from_subject: Mapped[bool] = mapped_column(default=False)
