"""Job alerts (the seed policies' "contact users about available positions"): postings
published since a saved search last ran, one digest per seeker per run, written to the
outbox, and only for seekers who consent to job-alert mail now."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobgraph.agreements.consent import ConsentPurpose, consenting
from jobgraph.db.engine import bind_pool, rows_changed
from jobgraph.errors import BadUserInput, NotFound
from jobgraph.identity.models import Account
from jobgraph.jobs.enums import AlertFrequency, JobSort
from jobgraph.jobs.models import JobPosting, SavedSearch
from jobgraph.jobs.search import JobFilter, JobQuery, search_page, shown_on
from jobgraph.notifications.outbox import enqueue
from jobgraph.policy.fields import DataUse
from jobgraph.tenancy.registry import Tenant, TenantRegistry

PERIOD = {AlertFrequency.DAILY: timedelta(days=1), AlertFrequency.WEEKLY: timedelta(days=7)}
MATCHES_PER_SEARCH = 10


@dataclass
class AlertReport:
    searches: int = 0
    digests: int = 0
    without_consent: int = 0


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        *(
            and_(
                SavedSearch.frequency == str(frequency),
                or_(SavedSearch.last_run_at.is_(None), SavedSearch.last_run_at <= now - period),
            )
            for frequency, period in PERIOD.items()
        )
    )


async def run_alerts(
    sessions: async_sessionmaker[AsyncSession],
    registry: TenantRegistry,
    now: datetime | None = None,
) -> AlertReport:
    now = now or datetime.now(UTC)
    report = AlertReport()
    for pool in registry.pools():
        async with sessions() as session, session.begin():
            bind_pool(session, pool)
            await _run_pool(session, registry, now, report)
    return report


async def _run_pool(
    db: AsyncSession, registry: TenantRegistry, now: datetime, report: AlertReport
) -> None:
    searches = list(
        (
            await db.scalars(select(SavedSearch).where(_due(now)).with_for_update(skip_locked=True))
        ).all()
    )
    report.searches += len(searches)
    consenting_accounts = await consenting(
        db, {s.account_id for s in searches}, ConsentPurpose.JOB_ALERT_MAIL
    )
    sections: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for saved in searches:
        tenant = registry.get(saved.tenant_slug)
        since = saved.last_run_at or saved.created_at
        saved.last_run_at = now
        if tenant is None:
            continue
        if (
            saved.account_id not in consenting_accounts
            # The site may stop mailing job alerts at all: its policy wins over old consent.
            or DataUse.JOB_ALERT_MAIL not in tenant.config.policy.data_uses
        ):
            report.without_consent += 1
            continue
        query = JobQuery(
            text=saved.query.get("search"),
            filter=JobFilter.from_json(saved.query.get("filter", {})),
            sort=JobSort.NEWEST,
        )
        scope = shown_on(tenant, now).narrowed(
            JobPosting.published_at > since, JobPosting.published_at <= now
        )
        page = await search_page(db, scope, query, MATCHES_PER_SEARCH, None)
        if page.rows:
            lines = [
                f"- {row.title} ({row.city or row.prefecture or 'remote'})" for row in page.rows
            ]
            sections[(saved.account_id, tenant.slug)].append(f"{saved.name}:\n" + "\n".join(lines))
    if not sections:
        return
    accounts = {
        row.id: row
        for row in await db.scalars(
            select(Account).where(Account.id.in_([account_id for account_id, _ in sections]))
        )
    }
    for (account_id, slug), parts in sections.items():
        tenant = registry.get(slug)
        assert tenant is not None
        body = (
            f"New jobs on {tenant.config.branding.site_name} for your saved searches:\n\n"
            + "\n\n".join(parts)
            + "\n\nYou get this because you asked for job alerts; turn them off in your "
            "settings at any time."
        )
        queued = await enqueue(
            db,
            tenant,
            account_id,
            accounts[account_id].email,
            "JOB_ALERT",
            f"job-alert:{account_id}:{slug}:{now:%Y-%m-%dT%H}",
            f"New jobs on {tenant.config.branding.site_name}",
            body,
        )
        report.digests += queued


MAX_NAME = 100


async def saved_searches_of(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID
) -> list[SavedSearch]:
    rows = await db.scalars(
        select(SavedSearch)
        .where(SavedSearch.account_id == account_id, SavedSearch.tenant_slug == tenant.slug)
        .order_by(SavedSearch.created_at)
    )
    return list(rows)


async def save_search(
    db: AsyncSession,
    tenant: Tenant,
    account_id: uuid.UUID,
    name: str,
    query: JobQuery,
    frequency: AlertFrequency,
) -> SavedSearch:
    """Save a search on this site; its new matches are mailed while the seeker consents."""
    if not 1 <= len(name.strip()) <= MAX_NAME:
        raise BadUserInput(f"The name must have 1 to {MAX_NAME} characters.", field="name")
    row = SavedSearch(
        pool_id=tenant.pool_id,
        tenant_slug=tenant.slug,
        id=uuid.uuid4(),
        account_id=account_id,
        name=name.strip(),
        frequency=str(frequency),
        query={"search": query.text, "filter": query.filter.as_json()},
    )
    db.add(row)
    return row


async def delete_saved_search(
    db: AsyncSession, account_id: uuid.UUID, search_id: uuid.UUID
) -> None:
    deleted = await rows_changed(
        db,
        delete(SavedSearch).where(
            SavedSearch.id == search_id, SavedSearch.account_id == account_id
        ),
    )
    if deleted == 0:
        raise NotFound(f"You have no saved search {search_id}.")
