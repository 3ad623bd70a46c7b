"""Jobs' root fields: the search partner sites embed, job and company pages, employers'
postings and organisations, views, and seekers' saved searches."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from jobgraph import places
from jobgraph.fields import Info, parse_id
from jobgraph.jobs import alerts, members, postings, search
from jobgraph.jobs.facet_index import SiteCounts
from jobgraph.jobs.inputs import CompanyInput, JobFilterInput, JobInput, JobPatch, job_query
from jobgraph.jobs.models import JobPosting
from jobgraph.jobs.search import posted_for, shown_on
from jobgraph.jobs.types import (
    AlertFrequency,
    Company,
    Job,
    JobConnection,
    JobSort,
    JobStatus,
    MemberRole,
    Prefecture,
    RailwayLine,
    SavedSearch,
    connection,
)
from jobgraph.permissions import AccountHolder, Employer, JobsRead, SignedIn
from jobgraph.tenancy.feed import company_present_on
from jobgraph.webhooks.models import WebhookEvent


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
        max_per_company: Annotated[
            int | None,
            strawberry.argument(
                description="Diversity: each company's first so many postings by the sort; "
                "its others are on no page (filter by companyId to see them). totalCount and "
                "facets still count every match."
            ),
        ] = None,
    ) -> JobConnection:
        context = info.context
        # The same for every viewer of the site, while its settings and data stay as they are.
        scope = shown_on(context.tenant).cacheable(
            context.services.search_results,
            context.tenant.slug,
            context.tenant.version,
            context.data_version,
        )
        indexes = context.services.facet_indexes
        if indexes is not None:
            scope = scope.counted_by(
                SiteCounts(indexes, context.tenant, context.data_version, counting=context.counting)
            )
        query = job_query(search, filter, sort, max_per_company)
        return await connection(info, scope, query, first, after, broaden=True)

    @strawberry.field(
        permission_classes=[JobsRead], description="A job this site shows; null when there is none."
    )
    async def job(self, info: Info, id: strawberry.ID) -> Job | None:
        row = await postings.shown(info.context.db, info.context.tenant, parse_id(id, "id"))
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

    @strawberry.field(
        permission_classes=[JobsRead],
        description="Japan's 47 prefectures by JIS X 0401 code, with their English and "
        "Japanese names. A search's prefecture filter takes any of these (Osaka, 大阪府, "
        "大阪, osaka-fu, 27).",
    )
    def prefectures(self) -> list[Prefecture]:
        return [Prefecture.of(prefecture) for prefecture in places.PREFECTURES]

    @strawberry.field(
        permission_classes=[JobsRead],
        description="The railway lines this service knows, with both names: a search's "
        "line filter takes any of them.",
    )
    def railway_lines(self) -> list[RailwayLine]:
        return [RailwayLine.of(line) for line in places.LINES]

    @strawberry.field(permission_classes=[AccountHolder], description="Your saved searches.")
    async def saved_searches(self, info: Info) -> list[SavedSearch]:
        context = info.context
        rows = await alerts.saved_searches_of(
            context.db, context.tenant, context.viewer.signed_in_account
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
        async with context.transaction() as db:
            row = await members.create_company(db, context.tenant, context.viewer, vars(input))
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
                company,
                email,
                str(role),
            )
        return True

    @strawberry.mutation(
        permission_classes=[SignedIn],
        description="Give a member of a company another role (its owners, the main site's "
        "admins and operators may); a company keeps at least one owner.",
    )
    async def change_company_member_role(
        self, info: Info, company_id: strawberry.ID, email: str, role: MemberRole
    ) -> bool:
        context = info.context
        async with context.transaction() as db:
            await members.change_role(
                db,
                context.tenant,
                context.viewer,
                parse_id(company_id, "companyId"),
                email,
                str(role),
            )
        return True

    @strawberry.mutation(
        permission_classes=[SignedIn],
        description="Remove a member from a company (its owners, the main site's admins and "
        "operators may); its unaccepted invitations stop working too. A company keeps at "
        "least one owner.",
    )
    async def remove_company_member(
        self, info: Info, company_id: strawberry.ID, email: str
    ) -> bool:
        context = info.context
        async with context.transaction() as db:
            await members.remove(
                db, context.tenant, context.viewer, parse_id(company_id, "companyId"), email
            )
        return True

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Stop acting for a company (its last owner may not: make another "
        "member an owner first).",
    )
    async def leave_company(self, info: Info, company_id: strawberry.ID) -> bool:
        context = info.context
        async with context.transaction() as db:
            await members.leave(
                db,
                context.tenant,
                context.viewer.signed_in_account,
                parse_id(company_id, "companyId"),
            )
        return True

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Join the company an invitation names, in the role it names, with the "
        "code it e-mailed to you (signed in with that address). Each code works once, and "
        "only the newest invitation to your address for that company.",
    )
    async def accept_company_invitation(self, info: Info, token: str) -> Company:
        context = info.context
        async with context.transaction() as db:
            row = await members.accept(
                db,
                context.tenant,
                context.viewer.signed_in_account,
                token,
            )
        return Company.of(row)

    @strawberry.mutation(
        permission_classes=[Employer],
        description="Post a job for one of your companies, as a DRAFT.",
    )
    async def create_job(self, info: Info, input: JobInput) -> Job:
        context = info.context
        values = input.values()
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
            row = await postings.update(db, row, patch.changes())
            if row.status == JobStatus.PUBLISHED:
                await postings.announce(
                    db, context.tenant, context.sites, row, WebhookEvent.POSTING_UPDATED
                )
        return Job.of(row)

    @strawberry.mutation(
        permission_classes=[Employer],
        description="Publish a draft (for 60 days unless it has an expiry).",
    )
    async def publish_job(self, info: Info, id: strawberry.ID) -> Job:
        return await _transition(info, id, postings.publish, WebhookEvent.POSTING_PUBLISHED)

    @strawberry.mutation(permission_classes=[Employer], description="Close a published job.")
    async def close_job(self, info: Info, id: strawberry.ID) -> Job:
        return await _transition(info, id, postings.close, WebhookEvent.POSTING_CLOSED)

    @strawberry.mutation(
        permission_classes=[Employer],
        description="Confirm that a published posting is still accurate, as of now: where "
        "the site asks postings to be confirmed every so often, an unconfirmed one leaves "
        "search until this.",
    )
    async def confirm_job(self, info: Info, id: strawberry.ID) -> Job:
        return await _transition(info, id, postings.confirm)

    @strawberry.mutation(
        permission_classes=[Employer], description="Publish a closed or expired job again."
    )
    async def reopen_job(self, info: Info, id: strawberry.ID) -> Job:
        return await _transition(info, id, postings.reopen, WebhookEvent.POSTING_PUBLISHED)

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
        query = job_query(search, filter, JobSort.NEWEST)
        async with context.transaction() as db:
            row = await alerts.save_search(
                db, context.tenant, context.viewer.signed_in_account, name, query, frequency
            )
        return SavedSearch.of(row)

    @strawberry.mutation(
        permission_classes=[AccountHolder], description="Delete one of your saved searches."
    )
    async def delete_saved_search(self, info: Info, id: strawberry.ID) -> bool:
        context = info.context
        async with context.transaction() as db:
            await alerts.delete_saved_search(
                db, context.viewer.signed_in_account, parse_id(id, "id")
            )
        return True


async def _transition(
    info: Info, id: strawberry.ID, change: Any, event: WebhookEvent | None = None
) -> Job:
    context = info.context
    async with context.transaction() as db:
        row = await postings.owned(db, context.tenant, context.viewer, parse_id(id, "id"))
        change(row)
        if event is not None:
            await postings.announce(db, context.tenant, context.sites, row, event)
    return Job.of(row)
