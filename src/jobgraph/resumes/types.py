"""GraphQL types of resumes. Every field of a resume asks the disclosure decided by the
policy module for this viewer and this path to the resume: a withheld field is null and
named in ``disclosure.withheldFields``, so a client can tell withheld from empty."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import date, datetime
from typing import TypeVar

import strawberry

from jobgraph.errors import Forbidden
from jobgraph.fields import Info
from jobgraph.jobs.types import Job
from jobgraph.paging import at_most
from jobgraph.policy.disclosure import (
    Access,
    Disclosure,
    DisclosureLevel,
    Relationship,
    ResumeFacts,
    resume_disclosure,
)
from jobgraph.policy.fields import last_jobs
from jobgraph.policy.models import DisclosureReason, DisclosureRecord
from jobgraph.policy.types import ResumeField, ResumeVisibility
from jobgraph.resumes.models import Application as ApplicationRow
from jobgraph.resumes.models import Invitation as InvitationRow
from jobgraph.resumes.models import Resume as ResumeRow
from jobgraph.resumes.service import (
    MAX_EDUCATION_HISTORY,
    MAX_LANGUAGES,
    MAX_WORK_HISTORY,
    ApplicationStatus,
    InvitationStatus,
)

# The GraphQL enums registered here, importable from here by the modules that use them.
__all__ = ["DisclosureLevel", "Relationship"]

T = TypeVar("T")

strawberry.enum(DisclosureLevel, name="DisclosureLevel")
strawberry.enum(
    Relationship,
    name="DisclosureRelationship",
    description="Why you see what you see of this resume.",
)


@strawberry.type(description="What of this resume is disclosed to you, and why.")
class ResumeDisclosure:
    level: DisclosureLevel
    relationship: Relationship
    withheld_fields: list[ResumeField]


@strawberry.type
class LanguageSkill:
    language: str
    level: str


@strawberry.type
class Education:
    school: str
    degree: str | None
    field: str | None
    start_year: int | None
    end_year: int | None


@strawberry.type(
    description="A job held. The employer of a current job (or, with none, of the job left "
    "most recently) is the seeker's last employer: withheld where that is."
)
class WorkExperience:
    employer: str | None
    title: str
    start_date: date | None
    end_date: date | None


@strawberry.type(description="A job seeker's resume, as this viewer may see it.")
class Resume:
    row: strawberry.Private[ResumeRow]
    facts: strawberry.Private[ResumeFacts]
    decision: strawberry.Private[Disclosure]
    company_id: strawberry.Private[uuid.UUID | None]
    purpose: strawberry.Private[str | None] = None

    @classmethod
    def of(
        cls, row: ResumeRow, decision: Disclosure, company_id: uuid.UUID | None = None
    ) -> Resume:
        return cls(row=row, facts=facts_of(row), decision=decision, company_id=company_id)

    @classmethod
    def as_seen(
        cls, info: Info, row: ResumeRow, access: Access, company_id: uuid.UUID | None = None
    ) -> Resume | None:
        """The resume as the policy module lets this viewer see it by this path; None
        when the viewer may not know it exists."""
        context = info.context
        decision = resume_disclosure(context.viewer, context.tenant, facts_of(row), access)
        return cls.of(row, decision, company_id) if decision.visible else None

    @classmethod
    def own(cls, info: Info, row: ResumeRow) -> Resume:
        """The signed-in seeker's own resume, as its owner sees it."""
        seen = cls.as_seen(info, row, Access.direct())
        if seen is None:  # the policy shows every resume to its owner: never here
            raise Forbidden("This resume is not yours.")
        return seen

    def reveal(self, info: Info, resume_field: ResumeField, value: T) -> T | None:
        if not self.decision.allows(resume_field):
            return None
        self.record(info, resume_field)
        return value

    def record(self, info: Info, resume_field: ResumeField) -> None:
        """Notes that this field's value was shown (once per request in the record)."""
        info.context.disclosures.note(
            self.facts,
            self.decision,
            resume_field,
            company_id=self.company_id,
            detail=self.purpose,
        )

    @strawberry.field
    def disclosure(self) -> ResumeDisclosure:
        return ResumeDisclosure(
            level=self.decision.level,
            relationship=self.decision.relationship,
            withheld_fields=sorted(self.decision.withheld),
        )

    @strawberry.field(description="Who may find and read it (its owner's choice).")
    def visibility(self, info: Info) -> ResumeVisibility | None:
        shown = self.decision.visibility_shown
        return ResumeVisibility(self.row.visibility) if shown else None

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.row.updated_at

    @strawberry.field
    def full_name(self, info: Info) -> str | None:
        return self.reveal(info, ResumeField.FULL_NAME, self.row.full_name)

    @strawberry.field
    def birth_date(self, info: Info) -> date | None:
        return self.reveal(info, ResumeField.BIRTH_DATE, self.row.birth_date)

    @strawberry.field
    def gender(self, info: Info) -> str | None:
        return self.reveal(info, ResumeField.GENDER, self.row.gender)

    @strawberry.field
    def nationality(self, info: Info) -> str | None:
        return self.reveal(info, ResumeField.NATIONALITY, self.row.nationality)

    @strawberry.field
    def residence_country(self, info: Info) -> str | None:
        return self.reveal(info, ResumeField.RESIDENCE_COUNTRY, self.row.residence_country)

    @strawberry.field
    def residence_region(self, info: Info) -> str | None:
        return self.reveal(info, ResumeField.RESIDENCE_REGION, self.row.residence_region)

    @strawberry.field
    def nearest_station(self, info: Info) -> str | None:
        return self.reveal(info, ResumeField.NEAREST_STATION, self.row.nearest_station)

    @strawberry.field
    def phone(self, info: Info) -> str | None:
        return self.reveal(info, ResumeField.PHONE, self.row.phone)

    @strawberry.field
    def visa_status(self, info: Info) -> str | None:
        return self.reveal(info, ResumeField.VISA_STATUS, self.row.visa_status)

    @strawberry.field(description="The account's e-mail address.", graphql_type=str | None)
    def email(self, info: Info) -> str | Awaitable[str | None] | None:
        # Withheld (as in every search result): answered at once, no awaitable per item.
        if not self.decision.allows(ResumeField.EMAIL):
            return None
        return self._email(info)

    async def _email(self, info: Info) -> str | None:
        account = await info.context.loaders.account_by_id.load(self.row.account_id)
        return self.reveal(info, ResumeField.EMAIL, account.email if account else None)

    @strawberry.field(
        description="The seeker's last employer: of every job without an end date (joined "
        "by ' / ' when several), or else of the job left most recently."
    )
    def last_employer(self, info: Info) -> str | None:
        work = self.row.work_history
        employers = [work[i]["employer"] for i in sorted(last_jobs(work)) if work[i]["employer"]]
        return self.reveal(info, ResumeField.LAST_EMPLOYER, " / ".join(employers) or None)

    @strawberry.field(metadata=at_most(MAX_LANGUAGES))
    def languages(self, info: Info) -> list[LanguageSkill] | None:
        items = self.reveal(info, ResumeField.LANGUAGES, self.row.languages)
        return None if items is None else [LanguageSkill(**item) for item in items]

    @strawberry.field
    def education_level(self, info: Info) -> str | None:
        return self.reveal(info, ResumeField.EDUCATION, self.row.education_level)

    @strawberry.field(metadata=at_most(MAX_EDUCATION_HISTORY))
    def education_history(self, info: Info) -> list[Education] | None:
        items = self.reveal(info, ResumeField.EDUCATION, self.row.education_history)
        return None if items is None else [Education(**item) for item in items]

    @strawberry.field
    def career_level(self, info: Info) -> str | None:
        return self.reveal(info, ResumeField.CAREER_LEVEL, self.row.career_level)

    @strawberry.field(metadata=at_most(MAX_WORK_HISTORY))
    def work_history(self, info: Info) -> list[WorkExperience] | None:
        items = self.reveal(info, ResumeField.WORK_HISTORY, self.row.work_history)
        if items is None:
            return None
        last = last_jobs(items)
        show_last = self.decision.allows(ResumeField.LAST_EMPLOYER)
        shown = [
            WorkExperience(
                employer=item.get("employer") if index not in last or show_last else None,
                title=item["title"],
                start_date=_date(item.get("start_date")),
                end_date=_date(item.get("end_date")),
            )
            for index, item in enumerate(items)
        ]
        if any(shown[index].employer for index in last):
            # The last employer shown inside the work history is recorded as itself.
            self.record(info, ResumeField.LAST_EMPLOYER)
        return shown

    @strawberry.field
    def skills(self, info: Info) -> list[str] | None:
        return self.reveal(info, ResumeField.SKILLS, self.row.skills)

    @strawberry.field
    def hobbies(self, info: Info) -> list[str] | None:
        return self.reveal(info, ResumeField.HOBBIES, self.row.hobbies)

    @strawberry.field
    def desired_categories(self, info: Info) -> list[str] | None:
        return self.reveal(info, ResumeField.DESIRED_CATEGORIES, self.row.desired_categories)

    @strawberry.field
    def desired_locations(self, info: Info) -> list[str] | None:
        return self.reveal(info, ResumeField.DESIRED_LOCATIONS, self.row.desired_locations)


# What each field reachable from a Resume can carry, by the policy's classes: reading a
# field records the personal ones among them (a test walks the schema and fails on a field
# missing here, and checks that what a read shows is what it records).
RECORDED_AS: dict[str, frozenset[ResumeField]] = {
    "Resume.fullName": frozenset({ResumeField.FULL_NAME}),
    "Resume.birthDate": frozenset({ResumeField.BIRTH_DATE}),
    "Resume.gender": frozenset({ResumeField.GENDER}),
    "Resume.nationality": frozenset({ResumeField.NATIONALITY}),
    "Resume.residenceCountry": frozenset({ResumeField.RESIDENCE_COUNTRY}),
    "Resume.residenceRegion": frozenset({ResumeField.RESIDENCE_REGION}),
    "Resume.nearestStation": frozenset({ResumeField.NEAREST_STATION}),
    "Resume.phone": frozenset({ResumeField.PHONE}),
    "Resume.visaStatus": frozenset({ResumeField.VISA_STATUS}),
    "Resume.email": frozenset({ResumeField.EMAIL}),
    "Resume.lastEmployer": frozenset({ResumeField.LAST_EMPLOYER}),
    "Resume.languages": frozenset({ResumeField.LANGUAGES}),
    "LanguageSkill.language": frozenset({ResumeField.LANGUAGES}),
    "LanguageSkill.level": frozenset({ResumeField.LANGUAGES}),
    "Resume.educationLevel": frozenset({ResumeField.EDUCATION}),
    "Resume.educationHistory": frozenset({ResumeField.EDUCATION}),
    "Education.school": frozenset({ResumeField.EDUCATION}),
    "Education.degree": frozenset({ResumeField.EDUCATION}),
    "Education.field": frozenset({ResumeField.EDUCATION}),
    "Education.startYear": frozenset({ResumeField.EDUCATION}),
    "Education.endYear": frozenset({ResumeField.EDUCATION}),
    "Resume.careerLevel": frozenset({ResumeField.CAREER_LEVEL}),
    "Resume.workHistory": frozenset({ResumeField.WORK_HISTORY}),
    "WorkExperience.employer": frozenset({ResumeField.WORK_HISTORY, ResumeField.LAST_EMPLOYER}),
    "WorkExperience.title": frozenset({ResumeField.WORK_HISTORY}),
    "WorkExperience.startDate": frozenset({ResumeField.WORK_HISTORY}),
    "WorkExperience.endDate": frozenset({ResumeField.WORK_HISTORY}),
    "Resume.skills": frozenset({ResumeField.SKILLS}),
    "Resume.hobbies": frozenset({ResumeField.HOBBIES}),
    "Resume.desiredCategories": frozenset({ResumeField.DESIRED_CATEGORIES}),
    "Resume.desiredLocations": frozenset({ResumeField.DESIRED_LOCATIONS}),
    # About the disclosure itself, or the owner's own choice: nothing of the seeker's data.
    "Resume.disclosure": frozenset(),
    "ResumeDisclosure.level": frozenset(),
    "ResumeDisclosure.relationship": frozenset(),
    "ResumeDisclosure.withheldFields": frozenset(),
    "Resume.visibility": frozenset(),
    "Resume.updatedAt": frozenset(),
}


def facts_of(row: ResumeRow) -> ResumeFacts:
    return ResumeFacts(
        id=row.id, account_id=row.account_id, visibility=ResumeVisibility(row.visibility)
    )


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


strawberry.enum(ApplicationStatus, name="ApplicationStatus")


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

    @classmethod
    def of(cls, row: InvitationRow) -> Invitation:
        return cls(
            id=strawberry.ID(str(row.id)),
            status=InvitationStatus(row.status),
            message=row.message,
            sent_at=row.created_at,
            row=row,
        )

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
    recipient: str = strawberry.field(
        description="Who was shown it, in words: a company and the site it saw you on, "
        '"site staff of <site>", "platform operators", "webhook of <company>", or a '
        "third party or authority by its name."
    )
    fields: list[str]
    reason: DisclosureReason
    detail: str | None = strawberry.field(description="The stated purpose or ground.")
    at: datetime

    @classmethod
    def of(cls, row: DisclosureRecord, recipient: str) -> DisclosureEntry:
        return cls(
            recipient=recipient,
            fields=list(row.fields),
            reason=DisclosureReason(row.reason),
            detail=row.detail,
            at=row.created_at,
        )
