"""Companies and their job postings. A posting belongs to the tenant it was created on;
partner sites of the same pool show the share their feed policy selects."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from jobgraph.db.models import Base, PoolOwned
from jobgraph.jobs.enums import yearly_sql


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
        # The listing every search starts from, newest first (keyset pagination).
        Index(
            "ix_job_postings_listing",
            "pool_id",
            "tenant_slug",
            "status",
            text("published_at DESC"),
            text("id DESC"),
        ),
        # The same by prefecture: the drill-down a partner's search page opens with.
        Index(
            "ix_job_postings_listing_by_prefecture",
            "pool_id",
            "tenant_slug",
            "status",
            "prefecture",
            text("published_at DESC"),
            text("id DESC"),
        ),
        Index(
            "ix_job_postings_salary",
            "pool_id",
            "tenant_slug",
            "status",
            text("coalesce(salary_yearly_max, -1) DESC"),
            text("id DESC"),
        ),
        Index("ix_job_postings_search_grams", "search_grams", postgresql_using="gin"),
        Index("ix_job_postings_tags", "tags", postgresql_using="gin"),
        Index("ix_job_postings_category", "pool_id", "category"),
        Index("ix_job_postings_place", "pool_id", "prefecture", "city"),
        Index("ix_job_postings_station", "pool_id", "nearest_station"),
        Index("ix_job_postings_employment_type", "pool_id", "employment_type"),
        Index("ix_job_postings_japanese_level", "pool_id", "japanese_level"),
        Index("ix_job_postings_expires_at", "pool_id", "expires_at"),
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
    # The salary as a yearly figure whatever its period (jobs/enums.py: PERIODS_PER_YEAR),
    # for filters, sorting and the histogram; answers compute it from the salary itself.
    salary_yearly_min: Mapped[int | None] = mapped_column(
        BigInteger, Computed(yearly_sql("salary_min"), persisted=True)
    )
    salary_yearly_max: Mapped[int | None] = mapped_column(
        BigInteger, Computed(yearly_sql("salary_max"), persisted=True)
    )
    japanese_level: Mapped[str] = mapped_column(String(4), default="NONE")
    english_level: Mapped[str] = mapped_column(String(20), default="NONE")
    visa_sponsorship: Mapped[bool] = mapped_column(Boolean, default=False)
    benefits: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list)
    status: Mapped[str] = mapped_column(String(10), default="DRAFT")
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When its employer last confirmed it accurate (publishing and editing confirm it).
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When its expiry was announced to the webhooks (posting.expired; migration 0020).
    expiry_announced_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), deferred=True
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Search (see jobs/text.py): normalised title, normalised company name and description,
    # and the character bigrams of both, which find Japanese text as well as English.
    # Deferred: only SQL reads them, and loading the bigrams would cost every listing.
    search_title: Mapped[str] = mapped_column(Text, server_default="", deferred=True)
    search_body: Mapped[str] = mapped_column(Text, server_default="", deferred=True)
    search_grams: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}", deferred=True)
    # Its number in the facet index's bitmaps (jobs/facet_index.py; migration 0029).
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True, deferred=True)


class JobViewCount(Base):
    """Views of a posting per tenant per day: a counter, nothing about who viewed."""

    __tablename__ = "job_view_counts"
    __table_args__ = (
        ForeignKeyConstraint(
            ["pool_id", "job_id"], ["job_postings.pool_id", "job_postings.id"], ondelete="CASCADE"
        ),
    )

    pool_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    job_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_slug: Mapped[str] = mapped_column(String(63), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(Integer, default=0)


class SavedSearch(PoolOwned, Base):
    """A seeker's saved job search, matched by `jobgraph alerts run`."""

    __tablename__ = "saved_searches"
    __table_args__ = (
        ForeignKeyConstraint(
            ["pool_id", "account_id"], ["accounts.pool_id", "accounts.id"], ondelete="CASCADE"
        ),
        Index("ix_saved_searches_pool_id_account_id", "pool_id", "account_id"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[dict[str, Any]] = mapped_column(JSONB)  # {"search": ..., "filter": {...}}
    frequency: Mapped[str] = mapped_column(String(10))
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
