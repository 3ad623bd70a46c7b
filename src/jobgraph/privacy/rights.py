"""The seekers' data rights and the platform's duties: export everything held, erase
personal information or the whole account, lawful disclosure with its record, statistics
with small-cell suppression, and requests to keep a resume up to date."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.communications.models import Inquiry
from jobgraph.errors import NotFound
from jobgraph.identity.models import Account
from jobgraph.jobs.models import JobPosting, SavedSearch
from jobgraph.notifications.outbox import enqueue
from jobgraph.privacy import documents
from jobgraph.privacy.consent import ConsentPurpose, consenting
from jobgraph.privacy.models import ConsentRecord, DisclosureRecord, RetainedRecord
from jobgraph.resumes.models import (
    PERSONAL_COLUMNS,
    RESUME_COLUMNS,
    Application,
    Invitation,
    Resume,
)
from jobgraph.tenancy.registry import Tenant


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def resume_document(resume: Resume) -> dict[str, Any]:
    return {column: _plain(getattr(resume, column)) for column in RESUME_COLUMNS}


async def export(db: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    """Everything held about one account, as one JSON document."""
    account = await db.get_one(Account, (await _pool(db, account_id), account_id))
    resume = await db.scalar(select(Resume).where(Resume.account_id == account_id))
    applications = (
        await db.execute(
            select(Application, JobPosting.title)
            .join(
                JobPosting,
                (JobPosting.pool_id == Application.pool_id) & (JobPosting.id == Application.job_id),
            )
            .where(Application.account_id == account_id)
        )
    ).all()
    invitations = (
        await db.scalars(select(Invitation).where(Invitation.account_id == account_id))
    ).all()
    consents = (
        await db.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.account_id == account_id)
            .order_by(ConsentRecord.created_at)
        )
    ).all()
    disclosures = (
        await db.scalars(
            select(DisclosureRecord).where(
                DisclosureRecord.subject_account_id == account_id,
                DisclosureRecord.hidden_from_subject.is_(False),
            )
        )
    ).all()
    searches = (
        await db.scalars(select(SavedSearch).where(SavedSearch.account_id == account_id))
    ).all()
    return {
        "exported_at": datetime.now(UTC).isoformat(),
        "account": {
            "email": account.email,
            "full_name": account.full_name,
            "registered_on": account.tenant_slug,
            "created_at": _plain(account.created_at),
        },
        "resume": resume_document(resume) if resume else None,
        "applications": [
            {
                "job": title,
                "status": row.status,
                "cover_note": row.cover_note,
                "applied_at": _plain(row.created_at),
            }
            for row, title in applications
        ],
        "invitations": [
            {"job_id": str(row.job_id), "status": row.status, "message": row.message}
            for row in invitations
        ],
        "consents": [
            {
                "purpose": row.purpose,
                "granted": row.granted,
                "wording_version": row.wording_version,
                "at": _plain(row.created_at),
            }
            for row in consents
        ],
        "disclosures": [
            {
                "recipient": row.recipient,
                "fields": list(row.fields),
                "reason": row.reason,
                "detail": row.detail,
                "at": _plain(row.created_at),
            }
            for row in disclosures
        ],
        "accepted_documents": await documents.acceptances(db, account_id),
        "inquiries": [
            {
                "subject": row.subject,
                "body": row.body,
                "status": row.status,
                "at": _plain(row.created_at),
            }
            for row in (
                await db.scalars(select(Inquiry).where(Inquiry.account_id == account_id))
            ).all()
        ],
        "saved_searches": [
            {"name": row.name, "query": row.query, "frequency": row.frequency} for row in searches
        ],
    }


async def _pool(db: AsyncSession, account_id: uuid.UUID) -> str:
    pool = await db.scalar(select(Account.pool_id).where(Account.id == account_id))
    if pool is None:
        raise NotFound("This account no longer exists.")
    return pool


async def erase_personal_information(db: AsyncSession, account_id: uuid.UUID) -> None:
    """Clears every item of personal information, keeps the account and the rest of the
    resume. Work history loses its employers (the last one is personal information)."""
    resume = await db.scalar(select(Resume).where(Resume.account_id == account_id))
    if resume is not None:
        for column in PERSONAL_COLUMNS:
            setattr(resume, column, None)
        resume.work_history = [{**job, "employer": None} for job in resume.work_history]
        resume.updated_at = datetime.now(UTC)
    account = await db.scalar(select(Account).where(Account.id == account_id))
    if account is not None:
        account.full_name = None


def pseudonym(secret_key: str, account_id: uuid.UUID) -> str:
    return hashlib.sha256(f"retained:{secret_key}:{account_id}".encode()).hexdigest()


async def delete_account(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, secret_key: str
) -> None:
    """Deletes the account and everything that hangs on it (resume, applications,
    consents, sessions, outbox...). Records of lawful disclosures are kept, as the law
    requires, under a pseudonym and without the values disclosed."""
    lawful = (
        await db.scalars(
            select(DisclosureRecord).where(
                DisclosureRecord.subject_account_id == account_id,
                DisclosureRecord.reason == "LAWFUL",
            )
        )
    ).all()
    if lawful:
        await db.execute(
            insert(RetainedRecord),
            [
                {
                    "pool_id": tenant.pool_id,
                    "tenant_slug": row.tenant_slug,
                    "id": uuid.uuid4(),
                    "pseudonym": pseudonym(secret_key, account_id),
                    "kind": "LAWFUL_DISCLOSURE",
                    "payload": {
                        "recipient": row.recipient,
                        "fields": list(row.fields),
                        "detail": row.detail,
                        "at": _plain(row.created_at),
                    },
                }
                for row in lawful
            ],
        )
    await db.execute(delete(Account).where(Account.id == account_id))


async def statistics(db: AsyncSession, tenant: Tenant) -> dict[str, list[tuple[str, int]]]:
    """Counts of seekers by a few attributes; a group smaller than the tenant's threshold
    is never shown, and the small groups together show as "other" only when that sum is
    itself at or above the threshold."""
    threshold = tenant.config.policy.statistics_min_cell
    columns = {
        "nationality": Resume.nationality,
        "visa_status": Resume.visa_status,
        "career_level": Resume.career_level,
        "japanese_level": literal_column(
            """jsonb_path_query_first(resumes.languages,
                 '$[*] ? (@.language == "Japanese").level') #>> '{}'"""
        ),
    }
    result: dict[str, list[tuple[str, int]]] = {}
    for name, column in columns.items():
        rows = (
            await db.execute(
                select(column, func.count())
                .where(Resume.pool_id == tenant.pool_id, column.is_not(None))
                .group_by(column)
            )
        ).all()
        shown = sorted(
            ((str(value), count) for value, count in rows if count >= threshold),
            key=lambda pair: (-pair[1], pair[0]),
        )
        rest = sum(count for _, count in rows if count < threshold)
        if rest >= threshold:
            shown.append(("other", rest))
        result[name] = shown
    return result


async def queue_update_requests(db: AsyncSession, tenant: Tenant, now: datetime) -> int:
    """Ask seekers whose resume has not changed for the tenant's period to review it, only
    where they consent to such mail (seed policies: "to ask users to update their
    information"). One request per seeker per month at most."""
    cutoff = now - timedelta(days=tenant.config.policy.update_reminder_days)
    stale = (
        await db.execute(
            select(Resume.account_id, Account.email)
            .join(Account, (Account.pool_id == Resume.pool_id) & (Account.id == Resume.account_id))
            .where(
                Resume.pool_id == tenant.pool_id,
                Resume.tenant_slug == tenant.slug,
                Resume.updated_at < cutoff,
            )
        )
    ).all()
    allowed = await consenting(db, [row[0] for row in stale], ConsentPurpose.UPDATE_REQUEST_MAIL)
    queued = 0
    for account_id, email in stale:
        if account_id in allowed:
            queued += await enqueue(
                db,
                tenant,
                account_id,
                email,
                "UPDATE_REQUEST",
                f"update-request:{account_id}:{now:%Y-%m}",
                f"Is your resume on {tenant.config.branding.site_name} up to date?",
                "Your resume has not changed for a while. Please check that it is still "
                "accurate, or change its visibility or delete it at any time.",
            )
    return queued
