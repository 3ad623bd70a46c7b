"""Resumes' part of the schema: a seeker's resume and its visibility, applications and
their pipeline, employers' candidate search and invitations, and a seeker's record of
disclosures. What of a resume anyone sees is the policy module's decision alone."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import strawberry
from sqlalchemy import Select, delete, select, update

from jobgraph.db.engine import rows_changed
from jobgraph.errors import BadUserInput, Forbidden, NotFound
from jobgraph.fields import Info, parse_id
from jobgraph.jobs.models import JobPosting
from jobgraph.jobs.search import shown_on
from jobgraph.jobs.types import Job
from jobgraph.paging import DEFAULT_PAGE_SIZE, page_size
from jobgraph.permissions import AccountHolder, Employer, JobsRead
from jobgraph.policy.disclosure import Access, resume_search_offered
from jobgraph.policy.fields import ResumeVisibility
from jobgraph.policy.models import DisclosureReason, DisclosureRecord
from jobgraph.resumes import service
from jobgraph.resumes.models import PLAIN_COLUMNS
from jobgraph.resumes.models import Application as ApplicationRow
from jobgraph.resumes.models import Invitation as InvitationRow
from jobgraph.resumes.models import Resume as ResumeRow
from jobgraph.resumes.service import EMPLOYER_MOVES, ApplicationStatus, InvitationStatus
from jobgraph.resumes.types import Resume
from jobgraph.tenancy.registry import Tenant

strawberry.enum(ApplicationStatus, name="ApplicationStatus")


@strawberry.input
class LanguageInput:
    language: str
    level: str


@strawberry.input
class EducationInput:
    school: str
    degree: str | None = None
    field: str | None = None
    start_year: int | None = None
    end_year: int | None = None


@strawberry.input
class WorkExperienceInput:
    employer: str
    title: str
    start_date: date | None = None
    end_date: date | None = None


@strawberry.input(description="Your whole resume; saving replaces what was there.")
class ResumeInput:
    visibility: ResumeVisibility | None = None
    full_name: str | None = None
    birth_date: date | None = None
    gender: str | None = None
    nationality: str | None = None
    residence_country: str | None = None
    residence_region: str | None = None
    nearest_station: str | None = None
    phone: str | None = None
    visa_status: str | None = None
    languages: list[LanguageInput] = strawberry.field(default_factory=list)
    education_level: str | None = None
    education_history: list[EducationInput] = strawberry.field(default_factory=list)
    career_level: str | None = None
    work_history: list[WorkExperienceInput] = strawberry.field(default_factory=list)
    skills: list[str] = strawberry.field(default_factory=list)
    hobbies: list[str] = strawberry.field(default_factory=list)
    desired_categories: list[str] = strawberry.field(default_factory=list)
    desired_locations: list[str] = strawberry.field(default_factory=list)

    def values(self) -> dict[str, Any]:
        return resume_values(self)


def resume_values(source: ResumeInput | ResumePatch) -> dict[str, Any]:
    """The given fields of a ResumeInput or ResumePatch, as the service takes them (a
    patch's missing fields are left out)."""
    values = {
        name: getattr(source, name)
        for name in PLAIN_COLUMNS
        if getattr(source, name) is not strawberry.UNSET
    }
    if source.languages is not strawberry.UNSET:
        values["languages"] = [vars(item) for item in source.languages or []]
    if source.education_history is not strawberry.UNSET:
        values["education_history"] = [vars(item) for item in source.education_history or []]
    if source.work_history is not strawberry.UNSET:
        values["work_history"] = [
            {
                "employer": item.employer,
                "title": item.title,
                "start_date": item.start_date.isoformat() if item.start_date else None,
                "end_date": item.end_date.isoformat() if item.end_date else None,
            }
            for item in source.work_history or []
        ]
    return values


@strawberry.input(
    description="Changes to your resume: only the parts given change; null clears a part."
)
class ResumePatch:
    full_name: str | None = strawberry.UNSET
    birth_date: date | None = strawberry.UNSET
    gender: str | None = strawberry.UNSET
    nationality: str | None = strawberry.UNSET
    residence_country: str | None = strawberry.UNSET
    residence_region: str | None = strawberry.UNSET
    nearest_station: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    visa_status: str | None = strawberry.UNSET
    languages: list[LanguageInput] | None = strawberry.UNSET
    education_level: str | None = strawberry.UNSET
    education_history: list[EducationInput] | None = strawberry.UNSET
    career_level: str | None = strawberry.UNSET
    work_history: list[WorkExperienceInput] | None = strawberry.UNSET
    skills: list[str] | None = strawberry.UNSET
    hobbies: list[str] | None = strawberry.UNSET
    desired_categories: list[str] | None = strawberry.UNSET
    desired_locations: list[str] | None = strawberry.UNSET
    visibility: strawberry.Private[object] = strawberry.UNSET


@strawberry.type(description="An application to a posting.")
class Application:
    id: strawberry.ID
    status: ApplicationStatus
    applied_at: datetime
    row: strawberry.Private[ApplicationRow]

    @classmethod
    def of(cls, row: ApplicationRow) -> Application:
        return cls(
            id=strawberry.ID(str(row.id)),
            status=ApplicationStatus(row.status),
            applied_at=row.created_at,
            row=row,
        )

    @strawberry.field(
        description="The site the seeker applied on (its slug): its policy "
        "governs what the employer sees of the application."
    )
    def site(self) -> str:
        return self.row.tenant_slug

    @strawberry.field(
        description="The seeker's note to the employer; the employer sees it no more once "
        "the application is withdrawn."
    )
    def cover_note(self, info: Info) -> str | None:
        mine = info.context.viewer.account_id == self.row.account_id
        if not mine and self.row.status == ApplicationStatus.WITHDRAWN:
            return None
        return self.row.cover_note

    @strawberry.field
    async def job(self, info: Info) -> Job | None:
        row = await info.context.loaders.job_by_id.load(self.row.job_id)
        return Job.of(row) if row else None

    @strawberry.field(
        description="The applicant's resume, as this site discloses it to the "
        "employer on application (nothing once withdrawn)."
    )
    async def candidate(self, info: Info) -> Resume | None:
        context = info.context
        resume = await context.loaders.resume_by_account.load(self.row.account_id)
        job = await context.loaders.job_by_id.load(self.row.job_id)
        if resume is None or job is None:
            return None
        access = Access.application(
            job.company_id,
            active=self.row.status != ApplicationStatus.WITHDRAWN,
            site=context.site(self.row.tenant_slug),
        )
        return Resume.as_seen(info, resume, access, company_id=job.company_id)


@strawberry.type(description="A searchable resume, under an id only this company sees.")
class Candidate:
    candidate_id: str
    resume: Resume


strawberry.enum(
    InvitationStatus, name="InvitationStatus", description="Whether the seeker answered."
)


@strawberry.type
class Invitation:
    id: strawberry.ID
    status: InvitationStatus
    message: str | None
    sent_at: datetime
    row: strawberry.Private[InvitationRow]

    @strawberry.field
    async def job(self, info: Info) -> Job | None:
        row = await info.context.loaders.job_by_id.load(self.row.job_id)
        return Job.of(row) if row else None


strawberry.enum(
    DisclosureReason,
    name="DisclosureReason",
    description="Why your personal information was shown: to whom, on what ground.",
)


@strawberry.type(description="One disclosure of your personal information to someone.")
class DisclosureEntry:
    recipient: str
    fields: list[str]
    reason: DisclosureReason
    detail: str | None
    at: datetime


def _invitation(row: InvitationRow) -> Invitation:
    return Invitation(
        id=strawberry.ID(str(row.id)),
        status=InvitationStatus(row.status),
        message=row.message,
        sent_at=row.created_at,
        row=row,
    )


async def _company_job(info: Info, job_id: uuid.UUID) -> JobPosting:
    job = await info.context.db.get(JobPosting, (info.context.tenant.pool_id, job_id))
    if job is None or job.company_id not in info.context.viewer.companies:
        raise NotFound(f"None of your companies has a job {job_id} on this site.")
    return job


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
        rows = await context.db.scalars(
            select(ResumeRow)
            .where(
                ResumeRow.pool_id == context.tenant.pool_id,
                ResumeRow.visibility == ResumeVisibility.PUBLIC,
            )
            .order_by(ResumeRow.updated_at.desc(), ResumeRow.id.desc())
            .limit(size)
        )
        return [seen for row in rows if (seen := Resume.as_seen(info, row, Access.direct()))]

    @strawberry.field(
        permission_classes=[AccountHolder],
        description="Your applications, newest first: at most `first`, after skipping "
        "`offset` of them.",
    )
    async def my_applications(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, offset: int = 0
    ) -> list[Application]:
        rows = await info.context.db.scalars(
            _newest(ApplicationRow, first, offset, info.context.tenant).where(
                ApplicationRow.account_id == info.context.viewer.signed_in_account
            )
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
        rows = await info.context.db.scalars(
            _newest(InvitationRow, first, offset, info.context.tenant).where(
                InvitationRow.account_id == info.context.viewer.signed_in_account
            )
        )
        return [_invitation(row) for row in rows]

    @strawberry.field(
        permission_classes=[AccountHolder],
        description="Who was shown your personal information, when and why; newest first: "
        "at most `first`, after skipping `offset` of them.",
    )
    async def my_disclosures(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, offset: int = 0
    ) -> list[DisclosureEntry]:
        rows = await info.context.db.scalars(
            _newest(DisclosureRecord, first, offset, info.context.tenant).where(
                DisclosureRecord.subject_account_id == info.context.viewer.signed_in_account,
                DisclosureRecord.hidden_from_subject.is_(False),
            )
        )
        return [
            DisclosureEntry(
                recipient=row.recipient,
                fields=list(row.fields),
                reason=DisclosureReason(row.reason),
                detail=row.detail,
                at=row.created_at,
            )
            for row in rows
        ]

    @strawberry.field(
        permission_classes=[Employer],
        description="The applications to a posting of one of your companies.",
    )
    async def applicants(
        self, info: Info, job_id: strawberry.ID, first: int = 20
    ) -> list[Application]:
        size = page_size(info.context.tenant.max_page_size, first)
        job = await _company_job(info, parse_id(job_id, "jobId"))
        rows = await info.context.db.scalars(
            select(ApplicationRow)
            .where(ApplicationRow.job_id == job.id)
            .order_by(ApplicationRow.created_at)
            .limit(size)
        )
        return [Application.of(row) for row in rows]

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
        size = page_size(context.tenant.max_page_size, first)
        statement = service.candidate_search(
            context.tenant,
            [(item.language, item.level) for item in languages or []],
            skills or [],
            education_level,
            career_level,
            desired_categories or [],
            desired_locations or [],
            experience_years,
        ).limit(size)
        secret = context.services.settings.secret_key
        return [
            Candidate(candidate_id=service.candidate_id(secret, company, row.id), resume=seen)
            for row in await context.db.scalars(statement)
            if (seen := Resume.as_seen(info, row, Access.search(), company_id=company))
        ]


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
            if await service.own_resume(db, context.viewer.signed_in_account) is None:
                raise NotFound("You have no resume yet: save one first.")
            row = await service.save_resume(
                db, context.tenant, context.viewer.signed_in_account, resume_values(patch)
            )
        return Resume.own(info, row)

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Change who may find and read your resume; at once.",
    )
    async def set_resume_visibility(self, info: Info, visibility: ResumeVisibility) -> Resume:
        context = info.context
        service.check_visibility(context.tenant, ResumeVisibility(visibility))
        async with context.transaction() as db:
            row = await service.own_resume(db, context.viewer.signed_in_account)
            if row is None:
                raise NotFound("You have no resume yet: save one first.")
            row.visibility = str(visibility)
            row.updated_at = datetime.now(UTC)
        return Resume.own(info, row)

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Delete your resume (your applications stay, without it).",
    )
    async def delete_resume(self, info: Info) -> bool:
        async with info.context.transaction() as db:
            deleted = await rows_changed(
                db,
                delete(ResumeRow).where(
                    ResumeRow.account_id == info.context.viewer.signed_in_account
                ),
            )
        return deleted > 0

    @strawberry.mutation(
        permission_classes=[AccountHolder], description="Apply to a job with your resume."
    )
    async def apply_to_job(
        self, info: Info, job_id: strawberry.ID, cover_note: str | None = None
    ) -> Application:
        context = info.context
        job_uuid = parse_id(job_id, "jobId")
        if cover_note is not None and len(cover_note) > 5000:
            raise BadUserInput(
                "The cover note must have at most 5000 characters.", field="coverNote"
            )
        async with context.transaction() as db:
            job = await db.scalar(
                select(JobPosting.id).where(
                    JobPosting.id == job_uuid, shown_on(context.tenant).condition
                )
            )
            if job is None:
                raise NotFound(f"No open job {job_id} on this site.")
            if await service.own_resume(db, context.viewer.signed_in_account) is None:
                raise BadUserInput("Save your resume before you apply.", field="jobId")
            existing = await db.scalar(
                select(ApplicationRow).where(
                    ApplicationRow.job_id == job_uuid,
                    ApplicationRow.account_id == context.viewer.signed_in_account,
                )
            )
            if existing is not None and existing.status != ApplicationStatus.WITHDRAWN:
                raise BadUserInput("You have already applied to this job.", field="jobId")
            if existing is not None:
                existing.status, existing.cover_note = ApplicationStatus.SUBMITTED, cover_note
                existing.tenant_slug = context.tenant.slug  # applied again, on this site
                existing.updated_at = datetime.now(UTC)
                row = existing
            else:
                row = ApplicationRow(
                    pool_id=context.tenant.pool_id,
                    tenant_slug=context.tenant.slug,
                    id=uuid.uuid4(),
                    job_id=job_uuid,
                    account_id=context.viewer.signed_in_account,
                    cover_note=cover_note,
                    status=ApplicationStatus.SUBMITTED,
                    created_at=datetime.now(UTC),
                )
                db.add(row)
            await db.execute(
                update(InvitationRow)
                .where(
                    InvitationRow.job_id == job_uuid,
                    InvitationRow.account_id == context.viewer.signed_in_account,
                    InvitationRow.status == InvitationStatus.PENDING,
                )
                .values(status=InvitationStatus.ACCEPTED)
                # Nothing loaded in this request holds these invitations.
                .execution_options(synchronize_session=False)
            )
        return Application.of(row)

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Withdraw your application: the employer sees no more "
        "of your resume (what it saw stays recorded).",
    )
    async def withdraw_application(self, info: Info, id: strawberry.ID) -> Application:
        async with info.context.transaction() as db:
            row = await db.scalar(
                select(ApplicationRow).where(
                    ApplicationRow.id == parse_id(id, "id"),
                    ApplicationRow.account_id == info.context.viewer.signed_in_account,
                )
            )
            if row is None:
                raise NotFound(f"You have no application {id}.")
            row.status = ApplicationStatus.WITHDRAWN
            row.updated_at = datetime.now(UTC)
        return Application.of(row)

    @strawberry.mutation(
        permission_classes=[Employer], description="Move an application along the pipeline."
    )
    async def move_application(
        self, info: Info, id: strawberry.ID, status: ApplicationStatus
    ) -> Application:
        if ApplicationStatus(status) not in EMPLOYER_MOVES:
            raise BadUserInput(
                f"Employers move applications to {', '.join(sorted(EMPLOYER_MOVES))}.",
                field="status",
            )
        async with info.context.transaction() as db:
            row = await db.scalar(
                select(ApplicationRow).where(ApplicationRow.id == parse_id(id, "id"))
            )
            if row is None:
                raise NotFound(f"No application {id}.")
            await _company_job(info, row.job_id)
            if row.status == ApplicationStatus.WITHDRAWN:
                raise BadUserInput("The seeker withdrew this application.", field="id")
            row.status = str(status)
            row.updated_at = datetime.now(UTC)
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
        async with context.transaction() as db:
            job = await _company_job(info, parse_id(job_id, "jobId"))
            if job.company_id != company:
                raise BadUserInput("That job belongs to another of your companies.", field="jobId")
            resume = await db.scalar(
                select(ResumeRow).where(
                    ResumeRow.id == resume_id,
                    ResumeRow.visibility.in_(service.searchable(context.tenant)),
                )
            )
            if resume is None:
                raise NotFound("This candidate is no longer open to invitations.")
            exists = await db.scalar(
                select(InvitationRow.id).where(
                    InvitationRow.job_id == job.id, InvitationRow.account_id == resume.account_id
                )
            )
            if exists is None:
                db.add(
                    InvitationRow(
                        pool_id=context.tenant.pool_id,
                        tenant_slug=context.tenant.slug,
                        id=uuid.uuid4(),
                        job_id=job.id,
                        account_id=resume.account_id,
                        invited_by=context.viewer.actor,
                        message=message,
                        status=InvitationStatus.PENDING,
                    )
                )
        return True

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Decline an invitation (to accept, apply to its job).",
    )
    async def decline_invitation(self, info: Info, id: strawberry.ID) -> bool:
        async with info.context.transaction() as db:
            row = await db.scalar(
                select(InvitationRow).where(
                    InvitationRow.id == parse_id(id, "id"),
                    InvitationRow.account_id == info.context.viewer.signed_in_account,
                )
            )
            if row is None:
                raise NotFound(f"You have no invitation {id}.")
            row.status = InvitationStatus.DECLINED
        return True


def _newest(model: Any, first: int, offset: int, tenant: Tenant) -> Select[Any]:
    """A page of one's own records (a few hundred at most: an offset is fine), newest
    first."""
    if not 0 <= offset <= MAX_OFFSET:
        raise BadUserInput(f"'offset' must be between 0 and {MAX_OFFSET}.", field="offset")
    return (
        select(model)
        .order_by(model.created_at.desc(), model.id.desc())
        .limit(page_size(tenant.max_page_size, first))
        .offset(offset)
    )


MAX_OFFSET = 10_000
