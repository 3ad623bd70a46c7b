"""Applications and invitations, below the API: a seeker applies on a site (the site is
recorded: its policy governs what the employer sees), withdraws; an employer moves an
application along, invites a candidate from resume search; the seeker declines or applies."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph import live
from jobgraph.db.engine import rows_changed
from jobgraph.errors import BadUserInput, NotFound
from jobgraph.jobs.models import JobPosting
from jobgraph.jobs.search import shown_on
from jobgraph.live import Topic
from jobgraph.policy.disclosure import endpoint_disclosure, searchable_visibilities
from jobgraph.policy.record import DisclosureRecorder
from jobgraph.resumes.models import Application, Invitation, Resume
from jobgraph.resumes.service import (
    EMPLOYER_MOVES,
    ApplicationStatus,
    InvitationStatus,
    newest_first,
    own_resume,
)
from jobgraph.resumes.types import Resume as ResumeView
from jobgraph.tenancy.registry import Tenant, TenantRegistry
from jobgraph.viewer import Viewer
from jobgraph.webhooks import service as webhooks
from jobgraph.webhooks.models import WebhookEndpoint, WebhookEvent

MAX_COVER_NOTE = 5000


async def applications_of(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, first: int, offset: int
) -> list[Application]:
    rows = await db.scalars(
        newest_first(Application, first, offset, tenant).where(Application.account_id == account_id)
    )
    return list(rows)


async def invitations_of(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, first: int, offset: int
) -> list[Invitation]:
    rows = await db.scalars(
        newest_first(Invitation, first, offset, tenant).where(Invitation.account_id == account_id)
    )
    return list(rows)


async def company_job(
    db: AsyncSession, tenant: Tenant, viewer: Viewer, job_id: uuid.UUID
) -> JobPosting:
    """A posting of one of the viewer's companies, on this site's pool."""
    job = await db.get(JobPosting, (tenant.pool_id, job_id))
    if job is None or job.company_id not in viewer.companies:
        raise NotFound(f"None of your companies has a job {job_id} on this site.")
    return job


async def heard_by_company(
    db: AsyncSession, viewer: Viewer, event: live.LiveEvent, job_id: uuid.UUID | None = None
) -> Application | None:
    """The application a live event is about, where it is to a posting of the viewer's
    companies (``job_id``'s, when given): what `applicants` would show them."""
    ids = event.ids
    if uuid.UUID(ids["company"]) not in viewer.companies:
        return None
    if job_id is not None and ids["job"] != str(job_id):
        return None
    return await db.get(Application, (event.pool, uuid.UUID(ids["application"])))


async def heard_by_seeker(
    db: AsyncSession, viewer: Viewer, event: live.LiveEvent
) -> Application | None:
    """The application a live event is about, where it is the viewer's own."""
    if event.ids["account"] != str(viewer.account_id):
        return None
    row = await db.get(Application, (event.pool, uuid.UUID(event.ids["application"])))
    return row if row is not None and row.account_id == viewer.account_id else None


async def applicants(db: AsyncSession, job: JobPosting, size: int) -> list[Application]:
    rows = await db.scalars(
        select(Application)
        .where(Application.job_id == job.id)
        .order_by(Application.created_at)
        .limit(size)
    )
    return list(rows)


async def apply(
    db: AsyncSession,
    tenant: Tenant,
    account_id: uuid.UUID,
    job_id: uuid.UUID,
    cover_note: str | None,
) -> Application:
    """Apply on ``tenant`` to a posting it shows, with one's saved resume; applying again
    after withdrawing revives the application (on this site). A pending invitation to the
    job is accepted by it."""
    if cover_note is not None and len(cover_note) > MAX_COVER_NOTE:
        raise BadUserInput(
            f"The cover note must have at most {MAX_COVER_NOTE} characters.", field="coverNote"
        )
    company_id = await db.scalar(
        select(JobPosting.company_id).where(JobPosting.id == job_id, shown_on(tenant).condition)
    )
    if company_id is None:
        raise NotFound(f"No open job {job_id} on this site.")
    if await own_resume(db, account_id) is None:
        raise BadUserInput("Save your resume before you apply.", field="jobId")
    existing = await db.scalar(
        select(Application).where(
            Application.job_id == job_id, Application.account_id == account_id
        )
    )
    if existing is not None and existing.status != ApplicationStatus.WITHDRAWN:
        raise BadUserInput("You have already applied to this job.", field="jobId")
    if existing is not None:
        existing.status, existing.cover_note = ApplicationStatus.SUBMITTED, cover_note
        existing.tenant_slug = tenant.slug  # applied again, on this site
        existing.updated_at = datetime.now(UTC)
        row = existing
    else:
        row = Application(
            pool_id=tenant.pool_id,
            tenant_slug=tenant.slug,
            id=uuid.uuid4(),
            job_id=job_id,
            account_id=account_id,
            cover_note=cover_note,
            status=ApplicationStatus.SUBMITTED,
            created_at=datetime.now(UTC),
        )
        db.add(row)
    accepted = await rows_changed(
        db,
        update(Invitation)
        .where(
            Invitation.job_id == job_id,
            Invitation.account_id == account_id,
            Invitation.status == InvitationStatus.PENDING,
        )
        .values(status=InvitationStatus.ACCEPTED)
        # Nothing loaded in this request holds these invitations.
        .execution_options(synchronize_session=False),
    )
    await db.flush()
    await _tell_company(db, tenant, WebhookEvent.APPLICATION_RECEIVED, row, company_id)
    if accepted:
        await _tell_company(db, tenant, WebhookEvent.INVITATION_ACCEPTED, row, company_id)
    return row


# Live events of an application (live.py): subscriptions read it afresh, through the policy.
RECEIVED, CHANGED = "received", "changed"


async def _tell_company(
    db: AsyncSession,
    tenant: Tenant,
    event: WebhookEvent,
    application: Application | Invitation,
    company_id: uuid.UUID | None = None,
) -> None:
    """The company's webhooks and subscriptions hear of it (the company of its posting,
    unless known): ids and the status, nothing of the seeker."""
    if company_id is None:
        company_id = await db.scalar(
            select(JobPosting.company_id).where(JobPosting.id == application.job_id)
        )
        if company_id is None:  # its posting is gone, and its company's endpoints with it
            return
    if isinstance(application, Application):
        kind = RECEIVED if event is WebhookEvent.APPLICATION_RECEIVED else CHANGED
        ids = {
            "application": str(application.id),
            "job": str(application.job_id),
            "company": str(company_id),
            "account": str(application.account_id),
        }
        await live.announce(db, live.LiveEvent(tenant.pool_id, Topic.APPLICATION, kind, ids))
    kind = "applicationId" if isinstance(application, Application) else "invitationId"
    data = {
        kind: str(application.id),
        "postingId": str(application.job_id),
        "companyId": str(company_id),
        "status": application.status,
    }
    await webhooks.emit(db, tenant, event, data, company_id, sites=[])


async def withdraw(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, application_id: uuid.UUID
) -> Application:
    row = await db.scalar(
        select(Application).where(
            Application.id == application_id, Application.account_id == account_id
        )
    )
    if row is None:
        raise NotFound(f"You have no application {application_id}.")
    row.status = ApplicationStatus.WITHDRAWN
    row.updated_at = datetime.now(UTC)
    await _tell_company(db, tenant, WebhookEvent.APPLICATION_WITHDRAWN, row)
    return row


async def move(
    db: AsyncSession,
    tenant: Tenant,
    viewer: Viewer,
    application_id: uuid.UUID,
    status: ApplicationStatus,
) -> Application:
    """An employer moves an application of one of its postings along the pipeline."""
    if status not in EMPLOYER_MOVES:
        raise BadUserInput(
            f"Employers move applications to {', '.join(sorted(EMPLOYER_MOVES))}.",
            field="status",
        )
    row = await db.scalar(select(Application).where(Application.id == application_id))
    job = await db.get(JobPosting, (tenant.pool_id, row.job_id)) if row is not None else None
    if row is None or job is None or job.company_id not in viewer.companies:
        # The same answer for another company's application: nothing about it, its
        # posting included, is the caller's to learn.
        raise NotFound(f"None of your companies has an application {application_id}.")
    if row.status == ApplicationStatus.WITHDRAWN:
        raise BadUserInput("The seeker withdrew this application.", field="id")
    row.status = str(status)
    row.updated_at = datetime.now(UTC)
    await _tell_company(db, tenant, WebhookEvent.APPLICATION_STATUS_CHANGED, row, job.company_id)
    return row


async def invite(
    db: AsyncSession,
    tenant: Tenant,
    viewer: Viewer,
    company_id: uuid.UUID,
    resume_id: uuid.UUID,
    job_id: uuid.UUID,
    message: str | None,
) -> None:
    """Invite the owner of a resume found by search to apply to one of the company's
    postings (once per posting); the employer learns nothing personal unless they apply."""
    job = await company_job(db, tenant, viewer, job_id)
    if job.company_id != company_id:
        raise BadUserInput("That job belongs to another of your companies.", field="jobId")
    resume = await db.scalar(
        select(Resume).where(
            Resume.id == resume_id,
            Resume.visibility.in_([str(v) for v in searchable_visibilities(tenant)]),
        )
    )
    if resume is None:
        raise NotFound("This candidate is no longer open to invitations.")
    exists = await db.scalar(
        select(Invitation.id).where(
            Invitation.job_id == job.id, Invitation.account_id == resume.account_id
        )
    )
    if exists is None:
        db.add(
            Invitation(
                pool_id=tenant.pool_id,
                tenant_slug=tenant.slug,
                id=uuid.uuid4(),
                job_id=job.id,
                account_id=resume.account_id,
                invited_by=viewer.actor,
                message=message,
                status=InvitationStatus.PENDING,
            )
        )


async def decline(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, invitation_id: uuid.UUID
) -> None:
    row = await db.scalar(
        select(Invitation).where(
            Invitation.id == invitation_id, Invitation.account_id == account_id
        )
    )
    if row is None:
        raise NotFound(f"You have no invitation {invitation_id}.")
    row.status = InvitationStatus.DECLINED
    await _tell_company(db, tenant, WebhookEvent.INVITATION_DECLINED, row)


async def applicant_seen_by(
    db: AsyncSession,
    registry: TenantRegistry,
    endpoint: WebhookEndpoint,
    data: Mapping[str, Any],
    recorder: DisclosureRecorder,
) -> tuple[Tenant, ResumeView] | None:
    """The applicant of an ``application.received`` event (``data`` holds its ids) as a
    company's endpoint may see them (``endpoint_disclosure``: the site applied on must
    allow it, and the company must still see the application), with the site the endpoint
    is registered on, what it is shown noted in ``recorder``; None where it sees nothing
    (the default: ids only, no resume read)."""
    site = registry.get(endpoint.tenant_slug)
    if endpoint.company_id is None or site is None or "applicationId" not in data:
        return None
    application = await db.get(
        Application, (endpoint.pool_id, uuid.UUID(str(data["applicationId"])))
    )
    if application is None:
        return None
    applied_on = registry.get(application.tenant_slug) or site
    active = application.status != ApplicationStatus.WITHDRAWN
    disclosure = endpoint_disclosure(site, applied_on, active)
    if not disclosure.disclosed:
        return None
    resume = await own_resume(db, application.account_id)
    if resume is None:
        return None
    seen = ResumeView.of(resume, disclosure, recorder, endpoint.company_id)
    seen.purpose = f"webhook to {endpoint.url}"
    return site, seen
