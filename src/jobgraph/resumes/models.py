"""Resumes, applications and invitations. A resume belongs to one account of the pool;
personal information sits in its own columns so erasure can clear it in place."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from jobgraph.db.models import Base, PoolOwned

PERSONAL_COLUMNS = (
    "full_name",
    "birth_date",
    "gender",
    "nationality",
    "residence_country",
    "residence_region",
    "nearest_station",
    "phone",
    "visa_status",
)
PLAIN_COLUMNS = (
    "visibility",
    *PERSONAL_COLUMNS,
    "education_level",
    "career_level",
    "skills",
    "hobbies",
    "desired_categories",
    "desired_locations",
)
JSON_COLUMNS = ("languages", "education_history", "work_history")
RESUME_COLUMNS = PLAIN_COLUMNS + JSON_COLUMNS


def _account_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["pool_id", "account_id"], ["accounts.pool_id", "accounts.id"], ondelete="CASCADE"
    )


class Resume(PoolOwned, Base):
    __tablename__ = "resumes"
    __table_args__ = (
        _account_fk(),
        UniqueConstraint("pool_id", "account_id"),
        # Public profiles and candidate search: one visibility, newest first.
        Index(
            "ix_resumes_newest_by_visibility",
            "pool_id",
            "visibility",
            text("updated_at DESC"),
            text("id DESC"),
        ),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    visibility: Mapped[str] = mapped_column(String(12))
    # Personal information.
    full_name: Mapped[str | None] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(30))
    nationality: Mapped[str | None] = mapped_column(String(60))
    residence_country: Mapped[str | None] = mapped_column(String(60))
    residence_region: Mapped[str | None] = mapped_column(String(60))
    nearest_station: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    visa_status: Mapped[str | None] = mapped_column(String(60))
    # Other information.
    languages: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    education_level: Mapped[str | None] = mapped_column(String(30))
    education_history: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    career_level: Mapped[str | None] = mapped_column(String(30))
    work_history: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    hobbies: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    desired_categories: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list)
    desired_locations: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Application(PoolOwned, Base):
    __tablename__ = "applications"
    __table_args__ = (
        _account_fk(),
        ForeignKeyConstraint(
            ["pool_id", "job_id"], ["job_postings.pool_id", "job_postings.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("pool_id", "job_id", "account_id"),
        Index("ix_applications_pool_id_account_id", "pool_id", "account_id"),
    )

    job_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    cover_note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Invitation(PoolOwned, Base):
    __tablename__ = "invitations"
    __table_args__ = (
        _account_fk(),
        ForeignKeyConstraint(
            ["pool_id", "job_id"], ["job_postings.pool_id", "job_postings.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("pool_id", "job_id", "account_id"),
    )

    job_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    invited_by: Mapped[str] = mapped_column(String(100))
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))  # an InvitationStatus
