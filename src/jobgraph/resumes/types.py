"""GraphQL types of resumes. Every field of a resume asks the disclosure decided by the
policy module for this viewer and this path to the resume: a withheld field is null and
named in ``disclosure.withheldFields``, so a client can tell withheld from empty."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime
from typing import Any, TypeVar

import strawberry
from strawberry.types.base import get_object_definition
from strawberry.utils.str_converters import to_camel_case

from jobgraph.errors import Forbidden
from jobgraph.fields import Info, derived, show_id
from jobgraph.jobs.types import Job
from jobgraph.paging import at_most
from jobgraph.policy.disclosure import (
    Access,
    Disclosure,
    DisclosureLevel,
    Relationship,
    ResumeFacts,
    cover_note_reader,
    resume_disclosures,
)
from jobgraph.policy.fields import last_jobs
from jobgraph.policy.models import DisclosureReason, DisclosureRecord
from jobgraph.policy.record import DisclosureRecorder
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

# Each field reachable from a Resume declares, once, which of the policy's classes of resume
# data it can carry (``discloses``); a personal field of a Resume also declares how its
# value is read from the row (``personal``). The resolvers, the record of disclosure and
# the webhook's payload all follow these declarations; a test walks the schema and fails
# on a field without one.
DISCLOSES = "jobgraph.discloses"
READS = "jobgraph.reads"


def discloses(*resume_fields: ResumeField, **metadata: Any) -> dict[str, Any]:
    return {DISCLOSES: frozenset(resume_fields), **metadata}


def _of_the_resume(*resume_fields: ResumeField, **metadata: Any) -> dict[str, Any]:
    """A Resume field whose resolver needs only its Resume (``derived``): the decision and
    the record it reveals by travel with the Resume, so the lean execution calls it with
    its object, as it reads a plain field, rather than with a resolve info per resume and
    field (``graphql/execution.py``)."""
    return discloses(*resume_fields, **derived(), **metadata)


def personal(
    resume_field: ResumeField,
    read: Callable[[ResumeRow], Any],
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Any:
    """A field of a Resume that shows one class of its data, read from its row by ``read``
    where the policy's decision allows it (recorded as shown), else null."""

    def resolve(self: Resume) -> Any:
        if resume_field not in self.decision.disclosed:  # not read where not shown
            return None
        return self.reveal(resume_field, read(self.row))

    return strawberry.field(
        resolver=resolve,
        description=description,
        metadata=_of_the_resume(resume_field, **{READS: read}, **(metadata or {})),
    )


strawberry.enum(DisclosureLevel, name="DisclosureLevel")
strawberry.enum(
    Relationship,
    name="DisclosureRelationship",
    description="Why you see what you see of this resume.",
)


@strawberry.type(description="What of this resume is disclosed to you, and why.")
class ResumeDisclosure:
    # About the disclosure itself: nothing of the seeker's data.
    level: DisclosureLevel = strawberry.field(metadata=discloses())
    relationship: Relationship = strawberry.field(metadata=discloses())
    withheld_fields: list[ResumeField] = strawberry.field(metadata=discloses())


@strawberry.type
class LanguageSkill:
    language: str = strawberry.field(metadata=discloses(ResumeField.LANGUAGES))
    level: str = strawberry.field(metadata=discloses(ResumeField.LANGUAGES))


@strawberry.type
class Education:
    school: str = strawberry.field(metadata=discloses(ResumeField.EDUCATION))
    degree: str | None = strawberry.field(metadata=discloses(ResumeField.EDUCATION))
    field: str | None = strawberry.field(metadata=discloses(ResumeField.EDUCATION))
    start_year: int | None = strawberry.field(metadata=discloses(ResumeField.EDUCATION))
    end_year: int | None = strawberry.field(metadata=discloses(ResumeField.EDUCATION))


@strawberry.type(
    description="A job held. The employer of a current job (or, with none, of the job left "
    "most recently) is the seeker's last employer: withheld where that is."
)
class WorkExperience:
    employer: str | None = strawberry.field(
        metadata=discloses(ResumeField.WORK_HISTORY, ResumeField.LAST_EMPLOYER)
    )
    title: str = strawberry.field(metadata=discloses(ResumeField.WORK_HISTORY))
    # The work history's entry: its dates are read only where a query asks for them.
    item: strawberry.Private[dict[str, Any]]
    start_date: date | None = strawberry.field(
        resolver=lambda self: _date(self.item.get("start_date")),
        metadata=discloses(ResumeField.WORK_HISTORY, **derived()),
    )
    end_date: date | None = strawberry.field(
        resolver=lambda self: _date(self.item.get("end_date")),
        metadata=discloses(ResumeField.WORK_HISTORY, **derived()),
    )


@strawberry.type(description="A job seeker's resume, as this viewer may see it.")
class Resume:
    row: strawberry.Private[ResumeRow]
    facts: strawberry.Private[ResumeFacts]
    decision: strawberry.Private[Disclosure]
    # Where what is shown of it is noted: the request's record (its context's).
    recorder: strawberry.Private[DisclosureRecorder]
    company_id: strawberry.Private[uuid.UUID | None]
    purpose: strawberry.Private[str | None] = None

    @classmethod
    def of(
        cls,
        row: ResumeRow,
        decision: Disclosure,
        recorder: DisclosureRecorder,
        company_id: uuid.UUID | None = None,
    ) -> Resume:
        return cls(
            row=row,
            facts=facts_of(row),
            decision=decision,
            recorder=recorder,
            company_id=company_id,
        )

    @classmethod
    def as_seen(
        cls, info: Info, row: ResumeRow, access: Access, company_id: uuid.UUID | None = None
    ) -> Resume | None:
        """The resume as the policy module lets this viewer see it by this path; None
        when the viewer may not know it exists."""
        seen = cls.all_seen(info, [row], access, company_id)
        return seen[0] if seen else None

    @classmethod
    def all_seen(
        cls,
        info: Info,
        rows: Iterable[ResumeRow],
        access: Access,
        company_id: uuid.UUID | None = None,
    ) -> list[Resume]:
        """The resumes of a page, all reached by this path, as the policy module lets
        this viewer see them; those the viewer may not know exist are left out."""
        context = info.context
        decide = resume_disclosures(context.viewer, context.tenant, access)
        recorder = context.disclosures
        seen = []
        for row in rows:
            facts = facts_of(row)
            decision = decide(facts)
            if decision.visible:
                seen.append(
                    cls(
                        row=row,
                        facts=facts,
                        decision=decision,
                        recorder=recorder,
                        company_id=company_id,
                    )
                )
        return seen

    @classmethod
    def own(cls, info: Info, row: ResumeRow) -> Resume:
        """The signed-in seeker's own resume, as its owner sees it."""
        seen = cls.as_seen(info, row, Access.direct())
        if seen is None:  # the policy shows every resume to its owner: never here
            raise Forbidden("This resume is not yours.")
        return seen

    def reveal(self, resume_field: ResumeField, value: T) -> T | None:
        if resume_field not in self.decision.disclosed:
            return None
        self.record(resume_field)
        return value

    def record(self, resume_field: ResumeField) -> None:
        """Notes that this field's value was shown (once per request in the record)."""
        self.recorder.note(self.facts, self.decision, resume_field, self.company_id, self.purpose)

    def _disclosure(self) -> ResumeDisclosure:
        return ResumeDisclosure(
            level=self.decision.level,
            relationship=self.decision.relationship,
            withheld_fields=sorted(self.decision.withheld),
        )

    def _visibility(self) -> ResumeVisibility | None:
        shown = self.decision.visibility_shown
        return ResumeVisibility(self.row.visibility) if shown else None

    def _email(self, info: Info) -> str | Awaitable[str | None] | None:
        # Withheld (as in every search result): answered at once, no awaitable per item.
        if not self.decision.allows(ResumeField.EMAIL):
            return None
        return self._address(info)

    async def _address(self, info: Info) -> str | None:
        account = await info.context.loaders.account_by_id.load(self.row.account_id)
        return self.reveal(ResumeField.EMAIL, account.email if account else None)

    def _work_history(self) -> list[WorkExperience] | None:
        items = self.reveal(ResumeField.WORK_HISTORY, self.row.work_history)
        if items is None:
            return None
        last = last_jobs(items)
        show_last = self.decision.allows(ResumeField.LAST_EMPLOYER)
        shown = [
            WorkExperience(
                employer=item.get("employer") if index not in last or show_last else None,
                title=item["title"],
                item=item,
            )
            for index, item in enumerate(items)
        ]
        if any(shown[index].employer for index in last):
            # The last employer shown inside the work history is recorded as itself.
            self.record(ResumeField.LAST_EMPLOYER)
        return shown

    # The fields, in the schema's order.
    disclosure: ResumeDisclosure = strawberry.field(resolver=_disclosure, metadata=_of_the_resume())
    visibility: ResumeVisibility | None = strawberry.field(
        resolver=_visibility,
        description="Who may find and read it (its owner's choice).",
        metadata=_of_the_resume(),
    )
    updated_at: datetime = strawberry.field(
        resolver=lambda self: self.row.updated_at, metadata=_of_the_resume()
    )
    full_name: str | None = personal(ResumeField.FULL_NAME, lambda row: row.full_name)
    birth_date: date | None = personal(ResumeField.BIRTH_DATE, lambda row: row.birth_date)
    gender: str | None = personal(ResumeField.GENDER, lambda row: row.gender)
    nationality: str | None = personal(ResumeField.NATIONALITY, lambda row: row.nationality)
    residence_country: str | None = personal(
        ResumeField.RESIDENCE_COUNTRY, lambda row: row.residence_country
    )
    residence_region: str | None = personal(
        ResumeField.RESIDENCE_REGION, lambda row: row.residence_region
    )
    nearest_station: str | None = personal(
        ResumeField.NEAREST_STATION, lambda row: row.nearest_station
    )
    phone: str | None = personal(ResumeField.PHONE, lambda row: row.phone)
    visa_status: str | None = personal(ResumeField.VISA_STATUS, lambda row: row.visa_status)

    email: str | Awaitable[str | None] | None = strawberry.field(
        resolver=_email,
        description="The account's e-mail address.",
        graphql_type=str | None,
        metadata=discloses(ResumeField.EMAIL),
    )
    last_employer: str | None = personal(
        ResumeField.LAST_EMPLOYER,
        lambda row: last_employer(row.work_history),
        description="The seeker's last employer: of every job without an end date (joined "
        "by ' / ' when several), or else of the job left most recently.",
    )
    languages: list[LanguageSkill] | None = personal(
        ResumeField.LANGUAGES,
        lambda row: [LanguageSkill(**item) for item in row.languages],
        metadata=at_most(MAX_LANGUAGES),
    )
    education_level: str | None = personal(ResumeField.EDUCATION, lambda row: row.education_level)
    education_history: list[Education] | None = personal(
        ResumeField.EDUCATION,
        lambda row: [Education(**item) for item in row.education_history],
        metadata=at_most(MAX_EDUCATION_HISTORY),
    )
    career_level: str | None = personal(ResumeField.CAREER_LEVEL, lambda row: row.career_level)

    work_history: list[WorkExperience] | None = strawberry.field(
        resolver=_work_history,
        metadata=_of_the_resume(
            ResumeField.WORK_HISTORY, ResumeField.LAST_EMPLOYER, **at_most(MAX_WORK_HISTORY)
        ),
    )
    skills: list[str] | None = personal(ResumeField.SKILLS, lambda row: row.skills)
    hobbies: list[str] | None = personal(ResumeField.HOBBIES, lambda row: row.hobbies)
    desired_categories: list[str] | None = personal(
        ResumeField.DESIRED_CATEGORIES, lambda row: row.desired_categories
    )
    desired_locations: list[str] | None = personal(
        ResumeField.DESIRED_LOCATIONS, lambda row: row.desired_locations
    )


def last_employer(work_history: list[dict[str, Any]]) -> str | None:
    """The employers of the seeker's last jobs (``last_jobs``), joined by ' / '."""
    employers = [
        work_history[i]["employer"]
        for i in sorted(last_jobs(work_history))
        if work_history[i]["employer"]
    ]
    return " / ".join(employers) or None


def shown_fields(row: ResumeRow, shown: frozenset[ResumeField]) -> dict[str, Any]:
    """The personal fields of a resume whose class is in ``shown``, by their names in the
    API and in its form (dates as ISO text, lists of objects as plain objects): what a
    webhook carries of an applicant, read by the same declarations as the API's fields."""
    definition = get_object_definition(Resume, strict=True)
    values: dict[str, Any] = {}
    for field in definition.fields:
        read = field.metadata.get(READS)
        [resume_field] = field.metadata[DISCLOSES] if read is not None else [None]
        if read is None or resume_field not in shown:
            continue
        values[to_camel_case(field.python_name)] = _plain(read(row))
    return values


def _plain(value: Any) -> Any:
    """A field's value as JSON carries it: dates as ISO text, objects as their fields."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {to_camel_case(key): _plain(item) for key, item in vars(value).items()}
    if isinstance(value, date):
        return value.isoformat()
    return value


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
            id=show_id(row.id),
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
    async def cover_note(self, info: Info) -> str | None:
        context, row = info.context, self.row
        if row.cover_note is None:
            return None
        job = await context.loaders.job_by_id.load(row.job_id)
        reader = cover_note_reader(
            context.viewer,
            row.account_id,
            job.company_id if job is not None else None,
            active=row.status != ApplicationStatus.WITHDRAWN,
        )
        if reader is Relationship.NONE:
            return None
        if reader is Relationship.APPLICATION and job is not None:
            context.disclosures.note_cover_note(row.account_id, job.company_id)
        return row.cover_note

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
            id=show_id(row.id),
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
