"""What privacy keeps of its own: records the law makes us keep after an account is gone,
and each site's statistics releases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jobgraph.db.models import Base, PoolOwned


class RetainedRecord(PoolOwned, Base):
    """What the law makes us keep after an account is deleted, under a pseudonym: e.g. that
    a lawful disclosure took place, never the personal values disclosed."""

    __tablename__ = "retained_records"

    pseudonym: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)


class StatisticsRelease(PoolOwned, Base):
    """One release of a site's seeker statistics (policy/statistics.py): what every request
    sees until the next, and the privacy loss (epsilon) it spent of the site's budget."""

    __tablename__ = "statistics_releases"
    __table_args__ = (Index("ix_statistics_releases_site", "pool_id", "tenant_slug", "created_at"),)

    epsilon: Mapped[float] = mapped_column(Float)
    # {attribute: [[label, count], ...]}: only what is shown.
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB)
