"""The seekers' data rights and the platform's duties: export everything held, erase
personal information or the whole account, lawful disclosure with its record, statistics
with small-cell suppression, and requests to keep a resume up to date."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobgraph.agreements import documents
from jobgraph.agreements.consent import ConsentPurpose, consenting
from jobgraph.agreements.models import ConsentRecord
from jobgraph.communications.models import Inquiry
from jobgraph.db.engine import bind_pool
from jobgraph.errors import NotFound
from jobgraph.identity.models import (
    Account,
    AuthSession,
    CompanyMember,
    ExternalIdentity,
    MailedCode,
    RefreshToken,
    SiteRoleEvent,
    TenantAdmin,
)
from jobgraph.jobs.models import Company, JobPosting, SavedSearch
from jobgraph.notifications.models import Notification
from jobgraph.notifications.outbox import enqueue
from jobgraph.policy.fields import DataUse, ResumeField
from jobgraph.policy.models import DisclosureReason, DisclosureRecord
from jobgraph.policy.record import record_disclosure
from jobgraph.privacy.models import RetainedRecord
from jobgraph.resumes.models import (
    PERSONAL_COLUMNS,
    RESUME_COLUMNS,
    Application,
    Invitation,
    Resume,
)
from jobgraph.resumes.service import recipient_names
from jobgraph.tenancy.registry import Tenant, TenantRegistry
from jobgraph.viewer import Viewer


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


async def export(
    db: AsyncSession, account_id: uuid.UUID, site_name: Callable[[str], str]
) -> dict[str, Any]:
    """Everything held about one account, as one JSON document (``site_name``: a site of
    the pool's name by its slug, to name who was shown what)."""
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
    recipients = await recipient_names(db, site_name, disclosures)
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
                "recipient": recipient,
                "fields": list(row.fields),
                "reason": row.reason,
                "detail": row.detail,
                "at": _plain(row.created_at),
            }
            for row, recipient in zip(disclosures, recipients, strict=True)
        ],
        "accepted_documents": await documents.acceptances(db, account_id),
        "inquiries": [
            {
                "name": row.name,
                "reply_to": row.reply_to,
                "subject": row.subject,
                "body": row.body,
                "status": row.status,
                "at": _plain(row.created_at),
            }
            for row in (
                await db.scalars(
                    select(Inquiry)
                    .where(_inquiries_of(account_id, account.email_normalized))
                    .order_by(Inquiry.created_at)
                )
            ).all()
        ],
        "saved_searches": [
            {"name": row.name, "query": row.query, "frequency": row.frequency} for row in searches
        ],
        **await _account_records(db, account_id),
    }


# Every table that refers to an account, and where the export shows it (a test lists the
# tables with a foreign key to accounts and fails on one missing here or in KEPT_TABLES).
EXPORTED_TABLES = {
    "accounts": "account",
    "resumes": "resume",
    "applications": "applications",
    "invitations": "invitations",
    "consent_records": "consents",
    "disclosures": "disclosures",
    "document_acceptances": "accepted_documents",
    "inquiries": "inquiries",
    "saved_searches": "saved_searches",
    "auth_sessions": "sessions",
    "notifications": "notifications",
    "company_members": "company_memberships",
    "tenant_admins": "site_admin_roles",
    "external_identities": "external_identities",
}
# Held about an account but not exported, and why.
KEPT_TABLES: Final[Mapping[str, str]] = {}


async def _account_records(db: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    """Sign-ins, mail, roles and linked identities: what the account did and was sent."""
    sessions = (
        await db.scalars(
            select(AuthSession)
            .where(AuthSession.account_id == account_id)
            .order_by(AuthSession.created_at)
        )
    ).all()
    refreshes = (
        await db.execute(
            select(RefreshToken.session_id, func.count(), func.max(RefreshToken.used_at))
            .where(RefreshToken.session_id.in_([row.id for row in sessions]))
            .group_by(RefreshToken.session_id)
        )
    ).all()
    tokens = {session_id: (count, used) for session_id, count, used in refreshes}
    notifications = (
        await db.scalars(
            select(Notification)
            .where(Notification.account_id == account_id)
            .order_by(Notification.created_at)
        )
    ).all()
    memberships = (
        await db.execute(
            select(Company.name, CompanyMember.role, CompanyMember.created_at)
            .join(
                CompanyMember,
                (CompanyMember.pool_id == Company.pool_id)
                & (CompanyMember.company_id == Company.id),
            )
            .where(CompanyMember.account_id == account_id)
        )
    ).all()
    admin_roles = (
        await db.scalars(select(TenantAdmin).where(TenantAdmin.account_id == account_id))
    ).all()
    identities = (
        await db.scalars(select(ExternalIdentity).where(ExternalIdentity.account_id == account_id))
    ).all()
    return {
        "sessions": [
            {
                "site": row.tenant_slug,
                "started_at": _plain(row.created_at),
                "ended_at": _plain(row.revoked_at),
                "ended_because": row.revoked_reason,
                "refresh_tokens_issued": tokens.get(row.id, (0, None))[0],
                "last_refreshed_at": _plain(tokens.get(row.id, (0, None))[1]),
            }
            for row in sessions
        ],
        "notifications": [
            {
                "kind": row.kind,
                "to": row.recipient,
                "subject": row.subject,
                "status": row.status,
                "at": _plain(row.created_at),
            }
            for row in notifications
        ],
        "company_memberships": [
            {"company": name, "role": role, "since": _plain(since)}
            for name, role, since in memberships
        ],
        "site_admin_roles": [
            {"site": row.tenant_slug, "granted_by": row.granted_by, "at": _plain(row.created_at)}
            for row in admin_roles
        ],
        "external_identities": [
            {"issuer": row.issuer, "subject": row.subject, "at": _plain(row.created_at)}
            for row in identities
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
    # A cover note is the seeker's own words to an employer: personal, erased with the rest.
    await db.execute(
        update(Application).where(Application.account_id == account_id).values(cover_note=None)
    )
    # So are the seeker's inquiries to the site: their name, address and words.
    email = account.email_normalized if account is not None else None
    await db.execute(
        update(Inquiry).where(_inquiries_of(account_id, email)).values(**_ERASED_INQUIRY)
    )


def _inquiries_of(account_id: uuid.UUID, email: str | None) -> ColumnElement[bool]:
    """The seeker's inquiries: sent signed in, or signed out from the account's address."""
    mine = Inquiry.account_id == account_id
    if email is None:
        return mine
    return or_(mine, and_(Inquiry.account_id.is_(None), func.lower(Inquiry.reply_to) == email))


_ERASED_INQUIRY = {
    "name": None,
    "reply_to": None,
    "subject": "(erased)",
    "body": "(erased at the sender's request)",
}


def pseudonym(secret_key: str, account_id: uuid.UUID) -> str:
    return hashlib.sha256(f"retained:{secret_key}:{account_id}".encode()).hexdigest()


async def delete_account(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, secret_key: str
) -> list[str]:
    """Deletes the account and everything that hangs on it (resume, applications,
    consents, sessions, outbox...). Records of lawful disclosures are kept, as the law
    requires, under a pseudonym and without the values disclosed. The ids of the mail
    deleted from the outbox, for the sender to forget its copies once this commits."""
    lawful = (
        await db.scalars(
            select(DisclosureRecord).where(
                DisclosureRecord.subject_account_id == account_id,
                DisclosureRecord.reason == DisclosureReason.LAWFUL,
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
    # Inquiries sent while signed out, and mail sent before the account existed (an
    # invitation to a company), carry the address, not the account: erase those too.
    email = await db.scalar(select(Account.email_normalized).where(Account.id == account_id))
    await db.execute(
        update(Inquiry).where(_inquiries_of(account_id, email)).values(**_ERASED_INQUIRY)
    )
    mail = (
        await db.scalars(
            delete(Notification)
            .where(
                or_(
                    Notification.account_id == account_id,
                    and_(
                        Notification.account_id.is_(None),
                        func.lower(Notification.recipient) == email,
                    ),
                )
            )
            .returning(Notification.id)
        )
    ).all()
    # Codes mailed to its address or about the account (a registration's name and password
    # hash, an invitation, a move to another address) go too.
    await db.execute(
        delete(MailedCode).where(
            or_(MailedCode.recipient == email, MailedCode.subject == str(account_id))
        )
    )
    # The site's history of its admin role keeps the steps, not the address.
    await db.execute(
        update(SiteRoleEvent).where(SiteRoleEvent.email == email).values(email="(erased)")
    )
    await db.execute(delete(Account).where(Account.id == account_id))
    return [str(mail_id) for mail_id in mail]


async def queue_every_update_request(
    sessions: async_sessionmaker[AsyncSession], registry: TenantRegistry, now: datetime
) -> int:
    """``queue_update_requests`` on every site that asks for such mail (``data_uses``);
    how many were queued."""
    queued = 0
    for tenant in registry.tenants():
        if DataUse.UPDATE_REQUESTS not in tenant.config.policy.data_uses:
            continue
        async with sessions() as session, session.begin():
            bind_pool(session, tenant.pool_id)
            queued += await queue_update_requests(session, tenant, now)
    return queued


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


async def disclose_everything(
    db: AsyncSession,
    tenant: Tenant,
    staff: Viewer,
    account_id: uuid.UUID,
    recipient: str,
    reason: DisclosureReason,
    detail: str,
    hidden_from_subject: bool,
    site_name: Callable[[str], str],
) -> dict[str, Any]:
    """Everything held about the seeker, for a recipient outside the platform (a third
    party they consented to, an authority the law names), recorded in the same transaction."""
    data = await export(db, account_id, site_name)
    record_disclosure(
        db,
        tenant,
        account_id,
        f"{recipient} (via {staff.actor})",
        sorted(str(f) for f in ResumeField),
        reason,
        detail,
        hidden_from_subject,
    )
    return data
