"""Companies and their job postings. A posting belongs to the tenant it was created on;
partner sites of the same pool show the share their feed policy selects."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from jobgraph.db.models import Base, PoolOwned


class Company(PoolOwned, Base):
    __tablename__ = "companies"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    logo_url: Mapped[str | None] = mapped_column(String(500))
    website: Mapped[str | None] = mapped_column(String(500))
    industry: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[str | None] = mapped_column(String(20))
    locations: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)


class JobPosting(PoolOwned, Base):
    __tablename__ = "job_postings"
    __table_args__ = (
        ForeignKeyConstraint(
            ["pool_id", "company_id"], ["companies.pool_id", "companies.id"], ondelete="CASCADE"
        ),
        CheckConstraint(
            "salary_min IS NULL OR salary_max IS NULL OR salary_min <= salary_max",
            name="salary_range",
        ),
        Index("ix_job_postings_pool_id_company_id", "pool_id", "company_id"),
    )

    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(50))
    employment_type: Mapped[str] = mapped_column(String(20))
    prefecture: Mapped[str | None] = mapped_column(String(50))
    city: Mapped[str | None] = mapped_column(String(100))
    nearest_station: Mapped[str | None] = mapped_column(String(100))
    remote: Mapped[str] = mapped_column(String(10), default="NONE")
    salary_min: Mapped[int | None] = mapped_column(Integer)
    salary_max: Mapped[int | None] = mapped_column(Integer)
    salary_currency: Mapped[str] = mapped_column(String(3), default="JPY")
    salary_period: Mapped[str] = mapped_column(String(10), default="YEAR")
    japanese_level: Mapped[str] = mapped_column(String(4), default="NONE")
    english_level: Mapped[str] = mapped_column(String(20), default="NONE")
    visa_sponsorship: Mapped[bool] = mapped_column(Boolean, default=False)
    benefits: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list)
    status: Mapped[str] = mapped_column(String(10), default="DRAFT")
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
