"""A site's seeker statistics as released (the mechanism and its guarantee:
``policy/statistics.py``): one release a period, kept and served to every request until
the next, each spending ``statistics_epsilon`` of the site's yearly budget. A release is
made by the first request after the period ends, one at a time per site."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.identity.models import Account
from jobgraph.policy.statistics import ATTRIBUTES, label_of, release
from jobgraph.privacy.models import StatisticsRelease
from jobgraph.resumes.models import Application, Resume
from jobgraph.tenancy.registry import Tenant

YEAR = timedelta(days=365)
# Noise from the operating system's randomness: a seeded generator could be replayed.
_RANDOMNESS = random.SystemRandom()


@dataclass(frozen=True)
class Released:
    release: StatisticsRelease | None  # None: the budget allowed none yet
    next_release_at: datetime | None
    budget_spent: float  # in the last 365 days


async def current(db: AsyncSession, tenant: Tenant, now: datetime | None = None) -> Released:
    """The site's release in force, made now if its period is over and the year's budget
    allows (the caller commits)."""
    now = now or datetime.now(UTC)
    policy = tenant.config.policy
    await db.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"statistics:{tenant.slug}", 0)))
    )
    releases = StatisticsRelease.tenant_slug == tenant.slug
    latest = await db.scalar(
        select(StatisticsRelease).where(releases).order_by(StatisticsRelease.created_at.desc())
    )
    period = timedelta(days=policy.statistics_release_days)
    spent = float(
        await db.scalar(
            select(func.coalesce(func.sum(StatisticsRelease.epsilon), 0.0)).where(
                releases, StatisticsRelease.created_at > now - YEAR
            )
        )
        or 0.0
    )
    due = latest is None or latest.created_at + period <= now
    if due and spent + policy.statistics_epsilon <= policy.statistics_yearly_budget:
        counts = await _true_counts(db, tenant)
        latest = StatisticsRelease(
            pool_id=tenant.pool_id,
            tenant_slug=tenant.slug,
            created_at=now,
            epsilon=policy.statistics_epsilon,
            counts={
                name: [[label, count] for label, count in groups]
                for name, groups in release(counts, policy, _RANDOMNESS).items()
            },
        )
        db.add(latest)
        await db.flush()
        spent += policy.statistics_epsilon
    next_release = latest.created_at + period if latest is not None else None
    return Released(latest, next_release, spent)


def _columns() -> dict[str, Any]:
    return {
        "nationality": Resume.nationality,
        "visa_status": Resume.visa_status,
        "career_level": Resume.career_level,
        "japanese_level": literal_column(
            """jsonb_path_query_first(resumes.languages,
                 '$[*] ? (@.language == "Japanese").level') #>> '{}'"""
        ),
    }


async def _true_counts(db: AsyncSession, tenant: Tenant) -> dict[str, dict[str, int]]:
    """The site's seekers counted by each attribute's labels ("other" outside them). A
    partner site counts its own seekers only: those who signed up or applied on it."""
    seekers = [Resume.pool_id == tenant.pool_id]
    if tenant.is_partner_site:
        seekers.append(
            Resume.account_id.in_(
                select(Account.id)
                .where(Account.tenant_slug == tenant.slug)
                .union(select(Application.account_id).where(Application.tenant_slug == tenant.slug))
            )
        )
    counts: dict[str, dict[str, int]] = {}
    columns = _columns()
    for name in ATTRIBUTES:
        column = columns[name]
        vocabulary = tenant.config.policy.statistics_groups.get(name, [])
        grouped: dict[str, int] = {}
        rows = await db.execute(
            select(column, func.count()).where(*seekers, column.is_not(None)).group_by(column)
        )
        for value, count in rows:
            label = label_of(value, vocabulary)
            if label is not None:
                grouped[label] = grouped.get(label, 0) + count
        counts[name] = grouped
    return counts
