"""Consent per purpose (append-only: the newest record of a purpose is the seeker's
choice), each site's legal documents by version, and who accepted which."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
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
    # For THIRD_PARTY_DISCLOSURE: the named third party the consent is for ('' otherwise).
    third_party: Mapped[str] = mapped_column(String(100), server_default="")
    granted: Mapped[bool] = mapped_column(Boolean)
    wording_version: Mapped[str] = mapped_column(String(40))


class LegalDocument(PoolOwned, Base):
    """One version of a tenant's privacy policy or terms, in force from ``effective_at``."""

    __tablename__ = "legal_documents"
    __table_args__ = (UniqueConstraint("pool_id", "tenant_slug", "kind", "version"),)

    kind: Mapped[str] = mapped_column(String(10))  # PRIVACY or TERMS
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    effective_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str] = mapped_column(String(100))


class DocumentAcceptance(PoolOwned, Base):
    """A seeker's acceptance of one version of a legal document (at registration or later)."""

    __tablename__ = "document_acceptances"
    __table_args__ = (
        ForeignKeyConstraint(
            ["pool_id", "account_id"], ["accounts.pool_id", "accounts.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["pool_id", "document_id"],
            ["legal_documents.pool_id", "legal_documents.id"],
            ondelete="RESTRICT",
        ),
        UniqueConstraint("pool_id", "account_id", "document_id"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    document_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
