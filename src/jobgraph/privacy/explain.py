"""The policy's dry run: which fields of a seeker's resume a given viewer would see on a
given site by a given path, and why, from the very function the resolvers ask
(``resume_disclosure``). Field names and reasons only, never values; the question itself
is recorded as staff access to the seeker."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.errors import BadUserInput, NotFound
from jobgraph.identity.accounts import find_by_email
from jobgraph.identity.roles import account_viewer
from jobgraph.jobs.models import JobPosting
from jobgraph.policy.disclosure import Access, Disclosure, resume_disclosure
from jobgraph.policy.fields import ResumeField
from jobgraph.policy.models import DisclosureReason
from jobgraph.policy.record import record_disclosure
from jobgraph.resumes.models import Application, Resume
from jobgraph.resumes.service import ApplicationStatus
from jobgraph.resumes.types import facts_of
from jobgraph.tenancy.registry import Tenant, TenantRegistry
from jobgraph.viewer import Viewer


class AccessPath(StrEnum):
    APPLICATION = "APPLICATION"  # the viewer's company reads the seeker's application
    SEARCH = "SEARCH"  # the viewer's company finds the resume in resume search
    PUBLIC_PROFILE = "PUBLIC_PROFILE"  # the viewer reads public profiles
    STAFF = "STAFF"  # the viewer asks as staff, with a stated purpose


@dataclass(frozen=True)
class Explanation:
    disclosure: Disclosure
    note: str


async def explain(
    db: AsyncSession,
    sites: TenantRegistry,
    asking_on: Tenant,
    staff: Viewer,
    seeker_email: str,
    viewer_email: str | None,
    site_slug: str | None,
    path: AccessPath,
    purpose: str,
) -> Explanation:
    site = sites.get(site_slug) if site_slug else asking_on
    if site is None or site.pool_id != asking_on.pool_id:
        raise BadUserInput(f"No site '{site_slug}' in this site's pool.", field="site")
    seeker = await find_by_email(db, seeker_email)
    resume = None
    if seeker is not None:
        resume = await db.scalar(select(Resume).where(Resume.account_id == seeker.id))
    if seeker is None or resume is None:
        raise NotFound(f"No resume of an account '{seeker_email}' in this pool.")
    viewer = Viewer.anonymous()
    if viewer_email:
        account = await find_by_email(db, viewer_email)
        if account is None:
            raise NotFound(f"No account '{viewer_email}' in this pool.", field="viewerEmail")
        viewer = await account_viewer(db, site, account.id, None)
    access, note = await _access(db, sites, viewer, seeker.id, path, purpose)
    record_disclosure(
        db,
        asking_on,
        seeker.id,
        staff.actor,
        [],
        DisclosureReason.STAFF_WITH_PURPOSE,
        f"explainAccess for {viewer_email or 'an anonymous visitor'} on "
        f"{site.slug} by {path}: {purpose}",
    )
    return Explanation(resume_disclosure(viewer, site, facts_of(resume), access), note)


async def _access(
    db: AsyncSession,
    sites: TenantRegistry,
    viewer: Viewer,
    seeker_id: uuid.UUID,
    path: AccessPath,
    purpose: str,
) -> tuple[Access, str]:
    if path is AccessPath.SEARCH:
        return Access.search(), "as in candidate search"
    if path is AccessPath.PUBLIC_PROFILE:
        return Access.direct(), "as in public profiles"
    if path is AccessPath.STAFF:
        return Access.staff(purpose), "as staff with the stated purpose"
    row = (
        await db.execute(
            select(Application, JobPosting.company_id)
            .join(
                JobPosting,
                (JobPosting.pool_id == Application.pool_id) & (JobPosting.id == Application.job_id),
            )
            .where(
                Application.account_id == seeker_id,
                JobPosting.company_id.in_(viewer.companies or [uuid.UUID(int=0)]),
            )
            .order_by(Application.created_at.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return Access("application"), "the seeker has not applied to the viewer's companies"
    application, company_id = row
    site = sites.get(application.tenant_slug)
    return (
        Access.application(company_id, application.status != ApplicationStatus.WITHDRAWN, site),
        f"the application made on {application.tenant_slug}",
    )


def field_reasons(disclosure: Disclosure) -> list[tuple[ResumeField, bool, str]]:
    return [(field, disclosure.allows(field), disclosure.reason(field)) for field in ResumeField]
