"""Jobs' part of the schema: the search partner sites embed, job and company pages,
employers' postings and organisations, views, and seekers' saved searches."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import strawberry
from sqlalchemy import delete, select

from jobgraph.db.engine import rows_changed
from jobgraph.errors import BadUserInput, NotFound
from jobgraph.fields import Info, parse_id
from jobgraph.identity.models import CompanyMember
from jobgraph.jobs import members, postings, search
from jobgraph.jobs.enums import (
    AlertFrequency,
    Category,
    EmploymentType,
    EnglishLevel,
    JapaneseLevel,
    JobSort,
    JobStatus,
    RemoteOption,
    SalaryPeriod,
)
from jobgraph.jobs.members import MemberRole
from jobgraph.jobs.models import Company as CompanyRow
from jobgraph.jobs.models import JobPosting
from jobgraph.jobs.models import SavedSearch as SavedSearchRow
from jobgraph.jobs.search import posted_for, shown_on
from jobgraph.jobs.types import Company, Job, JobConnection, connection
from jobgraph.permissions import AccountHolder, Employer, JobsRead, SignedIn
from jobgraph.tenancy.feed import company_present_on

strawberry.enum(MemberRole, description="A member's role in a company.")


@strawberry.input(description="Narrows a job search; every given field must match.")
class JobFilterInput:
    categories: list[Category] | None = None
    employment_types: list[EmploymentType] | None = None
    prefecture: str | None = None
    city: str | None = None
    nearest_station: str | None = None
    remote: list[RemoteOption] | None = None
    salary_at_least: int | None = strawberry.field(
        default=None, description="The posting's maximum salary is at least this."
    )
    japanese_level_at_most: JapaneseLevel | None = strawberry.field(
        default=None, description="Postings requiring at most this level of Japanese."
    )
    visa_sponsorship: bool | None = None
    company_id: strawberry.ID | None = None
    posted_since: datetime | None = None
    tags: list[str] | None = strawberry.field(default=None, description="All of these tags.")

    def to_filter(self) -> search.JobFilter:
        return search.JobFilter(
            categories=list(self.categories or []),
            employment_types=list(self.employment_types or []),
            prefecture=self.prefecture,
            city=self.city,
            nearest_station=self.nearest_station,
            remote=list(self.remote or []),
            salary_at_least=self.salary_at_least,
            japanese_level_at_most=self.japanese_level_at_most,
            visa_sponsorship=self.visa_sponsorship,
            company_id=parse_id(self.company_id, "filter.companyId") if self.company_id else None,
            posted_since=self.posted_since,
            tags=[tag.lower() for tag in self.tags or []],
        )


@strawberry.input(description="A new posting; it starts as a DRAFT.")
class JobInput:
    company_id: strawberry.ID
    title: str
    description: str
    category: Category
    employment_type: EmploymentType
    prefecture: str | None = None
    city: str | None = None
    nearest_station: str | None = None
    remote: RemoteOption = RemoteOption.NONE
    salary_min: int | None = None
    salary_max: int | None = None
    salary_currency: str = "JPY"
    salary_period: SalaryPeriod = SalaryPeriod.YEAR
    japanese_level: JapaneseLevel = JapaneseLevel.NONE
    english_level: EnglishLevel = EnglishLevel.NONE
    visa_sponsorship: bool = False
    benefits: list[str] = strawberry.field(default_factory=list)
    tags: list[str] = strawberry.field(default_factory=list)
    expires_at: datetime | None = None


@strawberry.input(description="Changes to a posting: only the fields given change.")
class JobPatch:
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    category: Category | None = strawberry.UNSET
    employment_type: EmploymentType | None = strawberry.UNSET
    prefecture: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    nearest_station: str | None = strawberry.UNSET
    remote: RemoteOption | None = strawberry.UNSET
    salary_min: int | None = strawberry.UNSET
    salary_max: int | None = strawberry.UNSET
    salary_currency: str | None = strawberry.UNSET
    salary_period: SalaryPeriod | None = strawberry.UNSET
    japanese_level: JapaneseLevel | None = strawberry.UNSET
    english_level: EnglishLevel | None = strawberry.UNSET
    visa_sponsorship: bool | None = strawberry.UNSET
    benefits: list[str] | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    expires_at: datetime | None = strawberry.UNSET


_REQUIRED = {
    "title",
    "description",
    "category",
    "employment_type",
    "remote",
    "salary_currency",
    "salary_period",
    "japanese_level",
    "english_level",
    "visa_sponsorship",
    "benefits",
    "tags",
}


def _changes(patch: JobPatch) -> dict[str, Any]:
    changes = {name: value for name, value in vars(patch).items() if value is not strawberry.UNSET}
    for name, value in changes.items():
        if value is None and name in _REQUIRED:
            raise BadUserInput(f"{name} cannot be removed, only changed.", field=name)
    return {
        name: (str(value) if isinstance(value, StrEnum) else value)
        for name, value in changes.items()
    }


@strawberry.input
class CompanyInput:
    name: str
    description: str = ""
    website: str | None = None
    industry: str | None = None
    size: str | None = None
    locations: list[str] = strawberry.field(default_factory=list)


@strawberry.type(description="A seeker's saved search; alerts mail its new matches.")
class SavedSearch:
    id: strawberry.ID
    name: str
    search: str | None
    frequency: AlertFrequency
    last_run_at: datetime | None

    @classmethod
    def of(cls, row: SavedSearchRow) -> SavedSearch:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            search=row.query.get("search"),
            frequency=AlertFrequency(row.frequency),
            last_run_at=row.last_run_at,
        )


def _query(text: str | None, filter: JobFilterInput | None, sort: JobSort) -> search.JobQuery:
    text = (text or "").strip() or None
    if text is not None and len(text) > 200:
        raise BadUserInput("The search text must have at most 200 characters.", field="search")
    return search.JobQuery(
        text=text, filter=filter.to_filter() if filter else search.JobFilter(), sort=sort
    )


@strawberry.type
class JobsQuery:
    @strawberry.field(
        permission_classes=[JobsRead],
        description="Search the jobs this site shows: results, paging, total "
        "and facets in one request.",
    )
    async def jobs(
        self,
        info: Info,
        search: str | None = None,
        filter: JobFilterInput | None = None,
        sort: JobSort = JobSort.RELEVANCE,
        first: int | None = None,
        after: str | None = None,
    ) -> JobConnection:
        context = info.context
        # The same for every viewer of the site, while its settings and data stay as they are.
        scope = shown_on(context.tenant).cacheable(
            context.services.search_results,
            context.tenant.slug,
            context.tenant.version,
            context.data_version,
        )
        return await connection(info, scope, _query(search, filter, sort), first, after)

    @strawberry.field(
        permission_classes=[JobsRead], description="A job this site shows; null when there is none."
    )
    async def job(self, info: Info, id: strawberry.ID) -> Job | None:
        row = await info.context.db.scalar(
            select(JobPosting).where(
                JobPosting.id == parse_id(id, "id"), shown_on(info.context.tenant).condition
            )
        )
        return Job.of(row) if row else None

    @strawberry.field(
        permission_classes=[JobsRead],
        description="A company present on this site; null when there is none.",
    )
    async def company(self, info: Info, id: strawberry.ID) -> Company | None:
        context = info.context
        row = await context.loaders.company_by_id.load(parse_id(id, "id"))
        if row is None or not company_present_on(context.tenant, row.tenant_slug, row.name):
            return None
        return Company.of(row)

    @strawberry.field(
        permission_classes=[Employer],
        description="The postings of your companies on this site, any status.",
    )
    async def employer_jobs(
        self,
        info: Info,
        status: JobStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> JobConnection:
        context = info.context
        scope = posted_for(context.tenant).narrowed(
            JobPosting.company_id.in_(context.viewer.companies)
        )
        if status is not None:
            scope = scope.narrowed(JobPosting.status == str(status))
        return await connection(info, scope, search.JobQuery(sort=JobSort.NEWEST), first, after)

    @strawberry.field(permission_classes=[AccountHolder], description="Your saved searches.")
    async def saved_searches(self, info: Info) -> list[SavedSearch]:
        rows = await info.context.db.scalars(
            select(SavedSearchRow)
            .where(
                SavedSearchRow.account_id == info.context.viewer.signed_in_account,
                SavedSearchRow.tenant_slug == info.context.tenant.slug,
            )
            .order_by(SavedSearchRow.created_at)
        )
        return [SavedSearch.of(row) for row in rows]


@strawberry.type
class JobsMutation:
    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Create an employer organisation on this site; you become its owner.",
    )
    async def create_company(self, info: Info, input: CompanyInput) -> Company:
        context = info.context
        name = input.name.strip()
        if not 1 <= len(name) <= 200:
            raise BadUserInput("The company name must have 1 to 200 characters.", field="name")
        async with context.transaction() as db:
            row = CompanyRow(
                pool_id=context.tenant.pool_id,
                tenant_slug=context.tenant.slug,
                id=uuid.uuid4(),
                name=name,
                description=input.description,
                website=input.website,
                industry=input.industry,
                size=input.size,
                locations=input.locations,
            )
            db.add(row)
            await db.flush()
            db.add(
                CompanyMember(
                    pool_id=context.tenant.pool_id,
                    company_id=row.id,
                    account_id=context.viewer.signed_in_account,
                    role=MemberRole.OWNER,
                    granted_by=context.viewer.actor,
                )
            )
        return Company.of(row)

    @strawberry.mutation(
        permission_classes=[SignedIn],
        description="Invite a person by e-mail address to act for a company (its owners, "
        "the main site's admins and operators may). They get an e-mail with a code for "
        "acceptCompanyInvitation; the answer is the same whether or not the address has "
        "an account here.",
    )
    async def add_company_member(
        self,
        info: Info,
        company_id: strawberry.ID,
        email: str,
        role: MemberRole = MemberRole.MEMBER,
    ) -> bool:
        context = info.context
        company = parse_id(company_id, "companyId")
        await context.services.limiter.hit(
            members.INVITATIONS_PER_COMPANY,
            "company-invitations",
            str(company),
            message="This company has sent many invitations.",
        )
        async with context.transaction() as db:
            await members.invite(
                db,
                context.tenant,
                context.viewer,
                context.services.settings.secret_key,
                company,
                email,
                str(role),
            )
        return True

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Join the company an invitation names, with the code it e-mailed to "
        "you (signed in with that address).",
    )
    async def accept_company_invitation(self, info: Info, token: str) -> Company:
        context = info.context
        async with context.transaction() as db:
            row = await members.accept(
                db,
                context.tenant,
                context.viewer.signed_in_account,
                context.services.settings.secret_key,
                token,
            )
        return Company.of(row)

    @strawberry.mutation(
        permission_classes=[Employer],
        description="Post a job for one of your companies, as a DRAFT.",
    )
    async def create_job(self, info: Info, input: JobInput) -> Job:
        context = info.context
        values = {
            name: (str(value) if isinstance(value, StrEnum) else value)
            for name, value in vars(input).items()
        }
        values["company_id"] = parse_id(input.company_id, "companyId")
        async with context.transaction() as db:
            row = await postings.create(db, context.tenant, context.viewer, values)
        return Job.of(row)

    @strawberry.mutation(
        permission_classes=[Employer], description="Change a posting of one of your companies."
    )
    async def update_job(self, info: Info, id: strawberry.ID, patch: JobPatch) -> Job:
        context = info.context
        async with context.transaction() as db:
            row = await postings.owned(db, context.tenant, context.viewer, parse_id(id, "id"))
            row = await postings.update(db, row, _changes(patch))
        return Job.of(row)

    @strawberry.mutation(
        permission_classes=[Employer],
        description="Publish a draft (for 60 days unless it has an expiry).",
    )
    async def publish_job(self, info: Info, id: strawberry.ID) -> Job:
        return await _transition(info, id, postings.publish)

    @strawberry.mutation(permission_classes=[Employer], description="Close a published job.")
    async def close_job(self, info: Info, id: strawberry.ID) -> Job:
        return await _transition(info, id, postings.close)

    @strawberry.mutation(
        permission_classes=[Employer], description="Publish a closed or expired job again."
    )
    async def reopen_job(self, info: Info, id: strawberry.ID) -> Job:
        return await _transition(info, id, postings.reopen)

    @strawberry.mutation(
        permission_classes=[JobsRead],
        description="Count a view of a job page (nothing about the viewer is kept).",
    )
    async def record_job_view(self, info: Info, id: strawberry.ID) -> bool:
        async with info.context.transaction() as db:
            await postings.record_view(db, info.context.tenant, parse_id(id, "id"))
        return True

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Save a search; its new matches are mailed as alerts "
        "while you consent to job-alert mail.",
    )
    async def save_search(
        self,
        info: Info,
        name: str,
        search: str | None = None,
        filter: JobFilterInput | None = None,
        frequency: AlertFrequency = AlertFrequency.DAILY,
    ) -> SavedSearch:
        context = info.context
        query = _query(search, filter, JobSort.NEWEST)
        if not 1 <= len(name.strip()) <= 100:
            raise BadUserInput("The name must have 1 to 100 characters.", field="name")
        async with context.transaction() as db:
            row = SavedSearchRow(
                pool_id=context.tenant.pool_id,
                tenant_slug=context.tenant.slug,
                id=uuid.uuid4(),
                account_id=context.viewer.signed_in_account,
                name=name.strip(),
                frequency=str(frequency),
                query={"search": query.text, "filter": query.filter.as_json()},
            )
            db.add(row)
        return SavedSearch.of(row)

    @strawberry.mutation(
        permission_classes=[AccountHolder], description="Delete one of your saved searches."
    )
    async def delete_saved_search(self, info: Info, id: strawberry.ID) -> bool:
        async with info.context.transaction() as db:
            deleted = await rows_changed(
                db,
                delete(SavedSearchRow).where(
                    SavedSearchRow.id == parse_id(id, "id"),
                    SavedSearchRow.account_id == info.context.viewer.signed_in_account,
                ),
            )
        if deleted == 0:
            raise NotFound(f"You have no saved search {id}.")
        return True


async def _transition(info: Info, id: strawberry.ID, change: Any) -> Job:
    context = info.context
    async with context.transaction() as db:
        row = await postings.owned(db, context.tenant, context.viewer, parse_id(id, "id"))
        change(row)
    return Job.of(row)
