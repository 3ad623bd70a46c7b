"""Resumes' root fields: a seeker's resume and its visibility, applications and their
pipeline, employers' candidate search and invitations, and a seeker's record of
disclosures. What of a resume anyone sees is the policy module's decision alone."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from jobgraph.errors import Forbidden
from jobgraph.fields import Info, parse_id
from jobgraph.identity.accounts import find_by_email
from jobgraph.live import Topic
from jobgraph.paging import DEFAULT_PAGE_SIZE, page_size
from jobgraph.permissions import AccountHolder, Employer, JobsRead, staff
from jobgraph.policy.disclosure import Access, resume_search_offered
from jobgraph.policy.staff import Power
from jobgraph.policy.types import ResumeVisibility
from jobgraph.resumes import applications, service
from jobgraph.resumes.inputs import LanguageInput, ResumeInput, ResumePatch
from jobgraph.resumes.models import Application as ApplicationRow
from jobgraph.resumes.service import ApplicationStatus
from jobgraph.resumes.types import Application, Candidate, DisclosureEntry, Invitation, Resume


@strawberry.type
class ResumesQuery:
    @strawberry.field(permission_classes=[AccountHolder], description="Your resume, whole.")
    async def my_resume(self, info: Info) -> Resume | None:
        context = info.context
        row = await service.own_resume(context.db, context.viewer.signed_in_account)
        if row is None:
            return None
        return Resume.own(info, row)

    @strawberry.field(
        permission_classes=[JobsRead],
        description="Public profiles, where this site offers them, newest first.",
    )
    async def public_profiles(self, info: Info, first: int = 20) -> list[Resume]:
        context = info.context
        size = page_size(context.tenant.max_page_size, first)
        rows = await service.public_profiles(context.db, context.tenant, size)
        return Resume.all_seen(info, rows, Access.direct())

    @strawberry.field(
        permission_classes=[AccountHolder],
        description="Your applications, newest first: at most `first`, after skipping "
        "`offset` of them.",
    )
    async def my_applications(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, offset: int = 0
    ) -> list[Application]:
        context = info.context
        rows = await applications.applications_of(
            context.db, context.tenant, context.viewer.signed_in_account, first, offset
        )
        return [Application.of(row) for row in rows]

    @strawberry.field(
        permission_classes=[AccountHolder],
        description="Invitations to apply, newest first: at most `first`, after skipping "
        "`offset` of them.",
    )
    async def my_invitations(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, offset: int = 0
    ) -> list[Invitation]:
        context = info.context
        rows = await applications.invitations_of(
            context.db, context.tenant, context.viewer.signed_in_account, first, offset
        )
        return [Invitation.of(row) for row in rows]

    @strawberry.field(
        permission_classes=[AccountHolder],
        description="Who was shown your personal information, when and why; newest first: "
        "at most `first`, after skipping `offset` of them.",
    )
    async def my_disclosures(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, offset: int = 0
    ) -> list[DisclosureEntry]:
        context = info.context
        rows = await service.disclosures_to(
            context.db, context.tenant, context.viewer.signed_in_account, first, offset
        )
        names = await service.recipient_names(
            context.db, lambda slug: context.site(slug).site_name, rows
        )
        return [DisclosureEntry.of(row, name) for row, name in zip(rows, names, strict=True)]

    @strawberry.field(
        permission_classes=[Employer],
        description="The applications to a posting of one of your companies.",
    )
    async def applicants(
        self, info: Info, job_id: strawberry.ID, first: int = 20
    ) -> list[Application]:
        context = info.context
        size = page_size(context.tenant.max_page_size, first)
        job = await applications.company_job(
            context.db, context.tenant, context.viewer, parse_id(job_id, "jobId")
        )
        return [Application.of(row) for row in await applications.applicants(context.db, job, size)]

    @strawberry.field(
        permission_classes=[Employer],
        description="Resumes open to search, filtered only on what search discloses.",
    )
    async def search_candidates(
        self,
        info: Info,
        company_id: strawberry.ID,
        skills: list[str] | None = None,
        languages: list[LanguageInput] | None = None,
        education_level: str | None = None,
        career_level: str | None = None,
        desired_categories: list[str] | None = None,
        desired_locations: list[str] | None = None,
        experience_years: int | None = None,
        first: int = 20,
    ) -> list[Candidate]:
        context = info.context
        company = parse_id(company_id, "companyId")
        if company not in context.viewer.companies:
            raise Forbidden("You search on behalf of one of your own companies.")
        if not resume_search_offered(context.tenant):
            raise Forbidden("This site does not offer resume search.")
        rows = await service.search_candidates(
            context.db,
            context.tenant,
            page_size(context.tenant.max_page_size, first),
            [(item.language, item.level) for item in languages or []],
            skills or [],
            education_level,
            career_level,
            desired_categories or [],
            desired_locations or [],
            experience_years,
        )
        seen = Resume.all_seen(info, rows, Access.search(), company_id=company)
        secret = context.services.settings.secret_key
        ids = service.candidate_ids(secret, company, [resume.row.id for resume in seen])
        return [
            Candidate(candidate_id=id_, resume=resume)
            for id_, resume in zip(ids, seen, strict=True)
        ]

    @strawberry.field(
        permission_classes=[staff(Power.STAFF_ACCESS)],
        description="A seeker's resume for staff. Without a stated purpose "
        "you see what an anonymous visitor sees; with one, all of "
        "it, and the access is recorded with the purpose.",
    )
    async def staff_resume(
        self, info: Info, email: str, purpose: str | None = None
    ) -> Resume | None:
        context = info.context
        account = await find_by_email(context.db, email)
        if account is None:
            return None
        row = await context.loaders.resume_by_account.load(account.id)
        if row is None:
            return None
        access = Access.staff(purpose)
        seen = Resume.as_seen(info, row, access)
        if seen is not None:
            seen.purpose = access.purpose
        return seen


@strawberry.type
class ResumesMutation:
    @strawberry.mutation(
        permission_classes=[AccountHolder], description="Create or replace your resume."
    )
    async def save_resume(self, info: Info, input: ResumeInput) -> Resume:
        context = info.context
        async with context.transaction() as db:
            row = await service.save_resume(
                db, context.tenant, context.viewer.signed_in_account, input.values()
            )
        return Resume.own(info, row)

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Change parts of your resume; the others stay as they are.",
    )
    async def update_resume(self, info: Info, patch: ResumePatch) -> Resume:
        context = info.context
        async with context.transaction() as db:
            row = await service.update_resume(
                db, context.tenant, context.viewer.signed_in_account, patch.values()
            )
        return Resume.own(info, row)

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Change who may find and read your resume; at once.",
    )
    async def set_resume_visibility(self, info: Info, visibility: ResumeVisibility) -> Resume:
        context = info.context
        async with context.transaction() as db:
            row = await service.set_visibility(
                db, context.tenant, context.viewer.signed_in_account, ResumeVisibility(visibility)
            )
        return Resume.own(info, row)

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Delete your resume (your applications stay, without it).",
    )
    async def delete_resume(self, info: Info) -> bool:
        async with info.context.transaction() as db:
            return await service.delete_resume(db, info.context.viewer.signed_in_account)

    @strawberry.mutation(
        permission_classes=[AccountHolder], description="Apply to a job with your resume."
    )
    async def apply_to_job(
        self, info: Info, job_id: strawberry.ID, cover_note: str | None = None
    ) -> Application:
        context = info.context
        job = parse_id(job_id, "jobId")
        async with context.transaction() as db:
            row = await applications.apply(
                db, context.tenant, context.viewer.signed_in_account, job, cover_note
            )
        return Application.of(row)

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Withdraw your application: the employer sees no more "
        "of your resume (what it saw stays recorded).",
    )
    async def withdraw_application(self, info: Info, id: strawberry.ID) -> Application:
        context = info.context
        async with context.transaction() as db:
            row = await applications.withdraw(
                db, context.tenant, context.viewer.signed_in_account, parse_id(id, "id")
            )
        return Application.of(row)

    @strawberry.mutation(
        permission_classes=[Employer], description="Move an application along the pipeline."
    )
    async def move_application(
        self, info: Info, id: strawberry.ID, status: ApplicationStatus
    ) -> Application:
        context = info.context
        async with context.transaction() as db:
            row = await applications.move(
                db, context.tenant, context.viewer, parse_id(id, "id"), ApplicationStatus(status)
            )
        return Application.of(row)

    @strawberry.mutation(
        permission_classes=[Employer],
        description="Invite a candidate from resume search to apply to a "
        "posting; you learn nothing personal unless they apply.",
    )
    async def invite_candidate(
        self,
        info: Info,
        company_id: strawberry.ID,
        candidate_id: str,
        job_id: strawberry.ID,
        message: str | None = None,
    ) -> bool:
        context = info.context
        if not context.tenant.config.policy.invitations_enabled:
            raise Forbidden("Invitations are switched off on this site.")
        company = parse_id(company_id, "companyId")
        if company not in context.viewer.companies:
            raise Forbidden("You invite on behalf of one of your own companies.")
        await context.services.limiter.hit(
            "30/hour",
            "invitations",
            str(company),
            message="This company has sent many invitations.",
        )
        resume_id = service.resume_of_candidate(
            context.services.settings.secret_key, company, candidate_id
        )
        job = parse_id(job_id, "jobId")
        async with context.transaction() as db:
            await applications.invite(
                db, context.tenant, context.viewer, company, resume_id, job, message
            )
        return True

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Decline an invitation (to accept, apply to its job).",
    )
    async def decline_invitation(self, info: Info, id: strawberry.ID) -> bool:
        async with info.context.transaction() as db:
            await applications.decline(
                db, info.context.tenant, info.context.viewer.signed_in_account, parse_id(id, "id")
            )
        return True


@strawberry.type
class ResumesSubscription:
    @strawberry.subscription(
        permission_classes=[Employer],
        description="Each new application to a posting of your companies (to `jobId` only, "
        "when given), as `applicants` would show it, as it arrives.",
    )
    async def application_received(
        self, info: Info, job_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Application, None]:
        async for row in _applications_heard(info, applications.RECEIVED, job_id):
            yield Application.of(row)

    @strawberry.subscription(
        permission_classes=[Employer],
        description="Each application to a posting of your companies (to `jobId` only, "
        "when given) whose status changes: moved along, or withdrawn by the seeker.",
    )
    async def application_changed(
        self, info: Info, job_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Application, None]:
        async for row in _applications_heard(info, applications.CHANGED, job_id):
            yield Application.of(row)

    @strawberry.subscription(
        permission_classes=[AccountHolder],
        description="Each of your applications as its status changes (an employer moved "
        "it along, or you withdrew it in another window).",
    )
    async def my_application_changed(self, info: Info) -> AsyncGenerator[Application, None]:
        context = info.context
        async for event in context.live_events(Topic.APPLICATION):
            if event.kind == applications.CHANGED:
                row = await applications.heard_by_seeker(context.db, context.viewer, event)
                if row is not None:
                    yield Application.of(row)


async def _applications_heard(
    info: Info, kind: str, job_id: strawberry.ID | None
) -> AsyncGenerator[ApplicationRow, None]:
    """Applications to the viewer's companies' postings that ``kind`` happened to; a
    posting given must be one of theirs (NOT_FOUND at once, as for `applicants`)."""
    context = info.context
    job = parse_id(job_id, "jobId") if job_id is not None else None
    if job is not None:
        await applications.company_job(context.db, context.tenant, context.viewer, job)
    async for event in context.live_events(Topic.APPLICATION):
        if event.kind == kind:
            row = await applications.heard_by_company(context.db, context.viewer, event, job)
            if row is not None:
                yield row
