"""Employers' postings: validation with field-named errors, and the status life cycle
DRAFT -> PUBLISHED -> CLOSED (-> PUBLISHED again); past its expiry a posting reads EXPIRED."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobgraph import places
from jobgraph.db.engine import bind_pool
from jobgraph.errors import BadUserInput, Forbidden, NotFound
from jobgraph.identity.models import Account, CompanyMember
from jobgraph.jobs.enums import JobStatus
from jobgraph.jobs.models import JobPosting, JobViewCount
from jobgraph.jobs.search import current_as_of, posted_for, shown_on
from jobgraph.notifications.outbox import enqueue
from jobgraph.tenancy.registry import Tenant, TenantRegistry
from jobgraph.viewer import Viewer
from jobgraph.webhooks import service as webhooks
from jobgraph.webhooks.models import WebhookEvent

DEFAULT_LIFETIME = timedelta(days=60)
MAX_LIFETIME = timedelta(days=365)
_LIMITS = {
    "title": 200,
    "description": 20000,
    "prefecture": 50,
    "city": 100,
    "nearest_station": 100,
    "salary_currency": 3,
}
_FIELD_NAMES = {
    "nearest_station": "nearestStation",
    "salary_min": "salaryMin",
    "salary_max": "salaryMax",
    "salary_currency": "salaryCurrency",
    "expires_at": "expiresAt",
}


def _api_name(field: str) -> str:
    return _FIELD_NAMES.get(field, field)


def validate(values: dict[str, Any]) -> dict[str, Any]:
    """Checks a posting's (complete) values; returns them cleaned."""
    cleaned = dict(values)
    for field, limit in _LIMITS.items():
        value = cleaned.get(field)
        if isinstance(value, str):
            value = value.strip()
            cleaned[field] = value or None if field not in ("title", "description") else value
            if len(value) > limit:
                raise BadUserInput(
                    f"{_api_name(field)} must have at most {limit} characters.",
                    field=_api_name(field),
                )
    for field in ("title", "description"):
        if not cleaned.get(field):
            raise BadUserInput(f"{field} must not be empty.", field=field)
    if cleaned.get("prefecture"):
        found = places.prefecture_of(cleaned["prefecture"])
        if found is None:
            raise BadUserInput(places.unknown_prefecture(cleaned["prefecture"]), field="prefecture")
        cleaned["prefecture"] = found.name
    if cleaned.get("nearest_station"):
        station = places.station_of(cleaned["nearest_station"])
        if station is not None:  # a station of the table keeps its English name
            cleaned["nearest_station"] = station.name
    for field in ("salary_min", "salary_max"):
        value = cleaned.get(field)
        if value is not None and not 0 <= value <= 1_000_000_000:
            raise BadUserInput(
                f"{_api_name(field)} must be between 0 and 1,000,000,000.", field=_api_name(field)
            )
    if (
        cleaned.get("salary_min") is not None
        and cleaned.get("salary_max") is not None
        and cleaned["salary_min"] > cleaned["salary_max"]
    ):
        raise BadUserInput("salaryMin must not be more than salaryMax.", field="salaryMin")
    currency = cleaned.get("salary_currency") or "JPY"
    if len(currency) != 3 or not currency.isalpha():
        raise BadUserInput(
            "salaryCurrency must be a three-letter ISO code such as JPY.", field="salaryCurrency"
        )
    cleaned["salary_currency"] = currency.upper()
    cleaned["tags"] = _clean_list(cleaned.get("tags") or [], "tags", 20, 50, lower=True)
    cleaned["benefits"] = _clean_list(cleaned.get("benefits") or [], "benefits", 30, 100)
    expires = cleaned.get("expires_at")
    if expires is not None:
        if expires.tzinfo is None:
            raise BadUserInput("expiresAt needs a time zone.", field="expiresAt")
        published = cleaned.get("published_at") or datetime.now(UTC)
        if expires <= published:
            raise BadUserInput("expiresAt must be after the publication date.", field="expiresAt")
        if expires - published > MAX_LIFETIME:
            raise BadUserInput("A posting may run for at most a year.", field="expiresAt")
    return cleaned


def _clean_list(
    values: list[str], field: str, count: int, length: int, lower: bool = False
) -> list[str]:
    cleaned = []
    for value in values:
        value = value.strip().lower() if lower else value.strip()
        if not value or len(value) > length:
            raise BadUserInput(f"Each of {field} must have 1 to {length} characters.", field=field)
        if value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > count:
        raise BadUserInput(f"At most {count} {field}.", field=field)
    return cleaned


def _require_member(viewer: Viewer, company_id: uuid.UUID) -> None:
    if company_id not in viewer.companies and not viewer.is_operator:
        raise Forbidden(
            "You may manage only the postings of companies you are a member of on this site."
        )


async def create(
    db: AsyncSession, tenant: Tenant, viewer: Viewer, values: dict[str, Any]
) -> JobPosting:
    _require_member(viewer, values["company_id"])
    row = JobPosting(
        pool_id=tenant.pool_id,
        tenant_slug=tenant.slug,
        id=uuid.uuid4(),
        status=JobStatus.DRAFT,
        **validate(values),
    )
    db.add(row)
    await db.flush()
    await db.refresh(row)  # the search columns, filled by the database
    return row


async def owned(db: AsyncSession, tenant: Tenant, viewer: Viewer, job_id: uuid.UUID) -> JobPosting:
    row = await db.scalar(
        select(JobPosting)
        .where(JobPosting.id == job_id, posted_for(tenant).condition)
        .with_for_update()
    )
    if row is None:
        raise NotFound(f"No job {job_id} on this site.")
    _require_member(viewer, row.company_id)
    return row


async def update(db: AsyncSession, row: JobPosting, changes: dict[str, Any]) -> JobPosting:
    current = {
        column: getattr(row, column)
        for column in (
            "title",
            "description",
            "category",
            "employment_type",
            "prefecture",
            "city",
            "nearest_station",
            "remote",
            "salary_min",
            "salary_max",
            "salary_currency",
            "salary_period",
            "japanese_level",
            "english_level",
            "visa_sponsorship",
            "benefits",
            "tags",
            "expires_at",
            "published_at",
        )
    }
    cleaned = validate(current | changes)
    for column in changes:
        setattr(row, column, cleaned[column])
    if "expires_at" in changes:
        row.expiry_announced_at = None  # a new expiry is announced when it comes
    row.updated_at = datetime.now(UTC)
    if row.status == JobStatus.PUBLISHED:
        row.confirmed_at = row.updated_at  # whoever edits it has read it
    await db.flush()
    await db.refresh(row)
    return row


def publish(row: JobPosting) -> None:
    now = datetime.now(UTC)
    if row.status == JobStatus.PUBLISHED and (row.expires_at is None or row.expires_at > now):
        raise BadUserInput("This job is already published.", field="id")
    row.published_at = now if row.status == JobStatus.DRAFT else row.published_at or now
    if row.expires_at is None or row.expires_at <= now:
        row.expires_at = now + DEFAULT_LIFETIME
    row.expiry_announced_at = None  # its next expiry is announced when it comes
    row.status = JobStatus.PUBLISHED
    row.updated_at = row.confirmed_at = now


async def announce(
    db: AsyncSession, tenant: Tenant, sites: TenantRegistry, row: JobPosting, event: WebhookEvent
) -> int:
    """Tell the webhooks of the posting's company and of every site that carries it (its
    own, and the partner sites whose feed selects it) what became of it."""
    carrying = [row.tenant_slug]
    for site in sites.tenants():
        if site.config.parent == row.tenant_slug and site.pool_id == row.pool_id:
            shown = select(JobPosting.id).where(JobPosting.id == row.id, posted_for(site).condition)
            if await db.scalar(shown) is not None:
                carrying.append(site.slug)
    data = {
        "postingId": str(row.id),
        "companyId": str(row.company_id),
        "status": row.status,
        "expiresAt": row.expires_at.isoformat() if row.expires_at else None,
    }
    return await webhooks.emit(db, tenant, event, data, row.company_id, carrying)


EXPIRED_AT_ONCE = 500  # postings announced per pool and transaction


async def announce_expired(
    sessions: async_sessionmaker[AsyncSession],
    registry: TenantRegistry,
    now: datetime | None = None,
) -> int:
    """Announce every published posting whose expiry has passed (``posting.expired``),
    once per expiry: a posting expires by time, not by an act that could announce it.
    Claimed with SKIP LOCKED, so several processes sweeping at once announce each once;
    how many."""
    now = now or datetime.now(UTC)
    announced = 0
    for pool in registry.pools():
        while True:
            async with sessions() as db, db.begin():
                bind_pool(db, pool)
                rows = (
                    await db.scalars(
                        select(JobPosting)
                        .where(
                            JobPosting.status == JobStatus.PUBLISHED,
                            JobPosting.expires_at <= now,
                            JobPosting.expiry_announced_at.is_(None),
                        )
                        .order_by(JobPosting.expires_at)
                        .limit(EXPIRED_AT_ONCE)
                        .with_for_update(skip_locked=True)
                    )
                ).all()
                for row in rows:
                    row.expiry_announced_at = now
                    tenant = registry.get(row.tenant_slug)
                    if tenant is not None:
                        await announce(db, tenant, registry, row, WebhookEvent.POSTING_EXPIRED)
            announced += len(rows)
            if len(rows) < EXPIRED_AT_ONCE:
                break
    return announced


def confirm(row: JobPosting) -> None:
    """The employer says the published posting is still accurate, as of now."""
    if row.status != JobStatus.PUBLISHED:
        raise BadUserInput(
            f"Only a published job is confirmed; this one is {row.status}.", field="id"
        )
    row.confirmed_at = datetime.now(UTC)


def close(row: JobPosting) -> None:
    if row.status != JobStatus.PUBLISHED:
        raise BadUserInput(
            f"Only a published job can be closed; this one is {row.status}.", field="id"
        )
    row.status = JobStatus.CLOSED
    row.updated_at = datetime.now(UTC)


def reopen(row: JobPosting) -> None:
    if row.status == JobStatus.DRAFT:
        raise BadUserInput("A draft is published, not reopened.", field="id")
    publish(row)


async def record_view(db: AsyncSession, tenant: Tenant, job_id: uuid.UUID) -> None:
    """Count one view of a posting shown on this tenant; nothing about the viewer is kept."""
    exists = await db.scalar(
        select(JobPosting.id).where(JobPosting.id == job_id, shown_on(tenant).condition)
    )
    if exists is None:
        raise NotFound(f"No job {job_id} on this site.")
    statement = pg_insert(JobViewCount).values(
        pool_id=tenant.pool_id, job_id=job_id, tenant_slug=tenant.slug, day=date.today(), views=1
    )
    await db.execute(
        statement.on_conflict_do_update(
            index_elements=["pool_id", "job_id", "tenant_slug", "day"],
            set_={"views": JobViewCount.views + 1},
        )
    )


async def shown(db: AsyncSession, tenant: Tenant, job_id: uuid.UUID) -> JobPosting | None:
    """A posting this site shows, or None."""
    return await db.scalar(
        select(JobPosting).where(JobPosting.id == job_id, shown_on(tenant).condition)
    )


# How long before a listing would leave search its company is reminded to confirm it.
REMIND_BEFORE = timedelta(days=7)


async def remind_unconfirmed(
    sessions: async_sessionmaker[AsyncSession],
    registry: TenantRegistry,
    now: datetime | None = None,
) -> int:
    """Queue a reminder to each member of the company of every posting that will leave
    search within REMIND_BEFORE for want of confirmation (sites with
    ``confirm_listings_every_days``), once per posting and confirmation; how many."""
    now = now or datetime.now(UTC)
    queued = 0
    for tenant in registry.tenants():
        days = tenant.policy.confirm_listings_every_days
        if days is None:
            continue
        stale_at = now - timedelta(days=days)
        async with sessions() as db, db.begin():
            bind_pool(db, tenant.pool_id)
            rows = await db.execute(
                select(JobPosting.id, JobPosting.title, current_as_of(), Account.id, Account.email)
                .join(
                    CompanyMember,
                    (CompanyMember.pool_id == JobPosting.pool_id)
                    & (CompanyMember.company_id == JobPosting.company_id),
                )
                .join(
                    Account,
                    (Account.pool_id == CompanyMember.pool_id)
                    & (Account.id == CompanyMember.account_id),
                )
                .where(
                    JobPosting.tenant_slug == tenant.slug,
                    JobPosting.status == JobStatus.PUBLISHED,
                    current_as_of() > stale_at,
                    current_as_of() <= stale_at + REMIND_BEFORE,
                )
            )
            for job_id, title, confirmed, account_id, email in rows.all():
                leaves = (confirmed + timedelta(days=days)).date().isoformat()
                queued += await enqueue(
                    db,
                    tenant,
                    account_id,
                    email,
                    "LISTING_REMINDER",
                    f"listing-reminder:{job_id}:{confirmed.isoformat()}:{account_id}",
                    f'Is "{title}" still accurate?',
                    f'Your posting "{title}" on {tenant.site_name} was last confirmed on '
                    f"{confirmed.date().isoformat()}. Unless you confirm it is still accurate "
                    f"(confirmJob, or edit it) or close it, it leaves search on {leaves}: "
                    "job information must stay current.",
                )
    return queued
