"""GraphQL types of companies and postings, and the search connection partner sites draw a
whole search page from: results, paging, total and facets."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

import strawberry
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode
from strawberry.scalars import JSON
from strawberry.types.nodes import SelectedField
from strawberry.utils.str_converters import to_camel_case

from jobgraph import places
from jobgraph.errors import BadUserInput, NotFound
from jobgraph.fields import (
    DERIVED,
    PRELOADED,
    PRELOADED_BY_ARGUMENTS,
    Column,
    Info,
    KeptCounts,
    RecordColumns,
    arguments_key,
    database_cost,
    derived,
    literal_arguments,
    parse_id,
    show_id,
)
from jobgraph.hygiene import json_for_html
from jobgraph.identity.models import MemberRole
from jobgraph.jobs import publishing, search
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
    yearly,
)
from jobgraph.jobs.models import Company as CompanyRow
from jobgraph.jobs.models import JobPosting
from jobgraph.jobs.models import SavedSearch as SavedSearchRow
from jobgraph.paging import at_most, page_size
from jobgraph.permissions import MemberOfPostingCompany

# The GraphQL enums registered here, importable from here by the modules that use them.
__all__ = [
    "AlertFrequency",
    "Category",
    "EmploymentType",
    "EnglishLevel",
    "JapaneseLevel",
    "JobSort",
    "JobStatus",
    "MemberRole",
    "RemoteOption",
    "SalaryPeriod",
]

# An instance made without its __init__ (``Job.of``, ``Company.of``).
_new = object.__new__

strawberry.enum(Category, description="The kind of work.")
strawberry.enum(EmploymentType, name="EmploymentType")
strawberry.enum(RemoteOption, name="RemoteOption")
strawberry.enum(
    JapaneseLevel, name="JapaneseLevel", description="Required Japanese: none, or JLPT N5 to N1."
)
strawberry.enum(EnglishLevel, name="EnglishLevel")
strawberry.enum(SalaryPeriod, name="SalaryPeriod")
strawberry.enum(JobStatus, name="JobStatus")
strawberry.enum(
    JobSort, name="JobSort", description="RELEVANCE needs a search text; without one it is NEWEST."
)
strawberry.enum(AlertFrequency, name="AlertFrequency")
strawberry.enum(MemberRole, description="A member's role in a company.")


@strawberry.type(description="An employer organisation.")
class Company:
    id: strawberry.ID
    name: str
    row: strawberry.Private[CompanyRow]

    @classmethod
    def of(cls, row: CompanyRow) -> Company:
        # Every field set at once, as __init__ would set them (a search page makes one
        # per posting; tests/jobs/test_types.py holds both alike).
        company = _new(cls)
        company.__dict__ = {"id": show_id(row.id), "name": row.name, "row": row}
        return company

    @strawberry.field(metadata=derived("description"))
    def description(self) -> str:
        return self.row.description

    @strawberry.field(metadata=derived("logo_url"))
    def logo_url(self) -> str | None:
        return self.row.logo_url

    @strawberry.field(metadata=derived("website"))
    def website(self) -> str | None:
        return self.row.website

    @strawberry.field(metadata=derived("industry"))
    def industry(self) -> str | None:
        return self.row.industry

    @strawberry.field(metadata=derived("size"))
    def size(self) -> str | None:
        return self.row.size

    @strawberry.field(metadata=derived("locations"))
    def locations(self) -> list[str]:
        return self.row.locations

    @strawberry.field(description="Its postings open on this site, newest first.")
    async def open_jobs(self, info: Info, first: int = 20) -> list[Job]:
        context = info.context
        key = (parse_id(self.id, "id"), page_size(context.tenant.max_page_size, first))
        return [Job.of(row) for row in await context.loaders.open_jobs_by_company.load(key)]


@strawberry.type(description="One of Japan's 47 prefectures.")
class Prefecture:
    code: str = strawberry.field(description="Its JIS X 0401 code, two digits: 27 is Osaka.")
    name: str = strawberry.field(description="In English, as postings and filters give it.")
    name_ja: str = strawberry.field(description="In Japanese, with its 都, 道, 府 or 県.")

    @classmethod
    def of(cls, prefecture: places.Prefecture) -> Prefecture:
        return cls(code=prefecture.code, name=prefecture.name, name_ja=prefecture.name_ja)

    @classmethod
    def named(cls, name: str | None) -> Prefecture | None:
        return _PREFECTURES.get(name) if name else None


@strawberry.type(description="A railway line.")
class RailwayLine:
    name: str
    name_ja: str

    @classmethod
    def of(cls, line: places.RailwayLine) -> RailwayLine:
        return cls(name=line.name, name_ja=line.name_ja)


@strawberry.type(description="A railway station, with the lines that serve it.")
class Station:
    name: str = strawberry.field(description="In English, as postings and filters give it.")
    name_ja: str
    lines: list[RailwayLine]

    @classmethod
    def named(cls, name: str | None) -> Station | None:
        return _STATIONS.get(name) if name else None


# Built once: every posting of a page names one (the answers never change them).
_PREFECTURES = {prefecture.name: Prefecture.of(prefecture) for prefecture in places.PREFECTURES}
_STATIONS = {
    station.name: Station(
        name=station.name,
        name_ja=station.name_ja,
        lines=[RailwayLine.of(line) for line in station.lines],
    )
    for station in places.STATIONS
}


@strawberry.type
class Location:
    prefecture: str | None
    city: str | None
    nearest_station: str | None
    prefecture_info: Prefecture | None = strawberry.field(
        description="The prefecture's code and its English and Japanese names."
    )
    station: Station | None = strawberry.field(
        description="The nearest station in both scripts with its lines, where this "
        "service knows it (null for another station: nearestStation still names it)."
    )


@strawberry.type(description="A salary range in one currency.")
class SalaryRange:
    min: int | None
    max: int | None


@strawberry.type(description="What a posting pays, per its period, and as a year and a month.")
class Salary:
    min: int | None
    max: int | None
    currency: str
    period: SalaryPeriod
    yearly: SalaryRange = strawberry.field(
        description="As a yearly figure: an hourly wage × 2,088 (8 hours × 261 days), a "
        "daily × 261, a monthly × 12. Filters, the SALARY sort and the histogram use it."
    )
    monthly: SalaryRange = strawberry.field(description="The yearly figure / 12, rounded down.")

    @classmethod
    def of(cls, row: JobPosting) -> Salary:
        low = yearly(row.salary_min, row.salary_period)
        high = yearly(row.salary_max, row.salary_period)
        return cls(
            min=row.salary_min,
            max=row.salary_max,
            currency=row.salary_currency,
            period=SalaryPeriod(row.salary_period),
            yearly=SalaryRange(min=low, max=high),
            monthly=SalaryRange(
                min=None if low is None else low // 12, max=None if high is None else high // 12
            ),
        )


@strawberry.type(description="How many postings pay from one bound up to the next.")
class SalaryBucket:
    min: int = strawberry.field(description="The bucket's lower bound, yearly (included).")
    max: int | None = strawberry.field(description="The next bound (excluded); null: upwards.")
    count: int


@strawberry.type(description="A job posting.")
class Job:
    # What a search page shows of every posting is built with it; the rest is worked out
    # only where a query asks for it (DERIVED: no cost per posting otherwise).
    id: strawberry.ID
    title: str
    tags: list[str]
    row: strawberry.Private[JobPosting]
    # Loaded with the posting where a page's statement joins it (a search page).
    company_row: strawberry.Private[CompanyRow | None] = None
    loaded_company: strawberry.Private[Company | None] = None

    @classmethod
    def of(cls, row: JobPosting, company: CompanyRow | None = None) -> Job:
        # Every field set at once, as __init__ would set them (a search page makes fifty;
        # tests/jobs/test_types.py holds both alike).
        job = _new(cls)
        job.__dict__ = {
            "id": show_id(row.id),
            "title": row.title,
            "tags": row.tags,
            "row": row,
            "company_row": company,
            "loaded_company": Company.of(company) if company is not None else None,
        }
        return job

    @strawberry.field(metadata=derived("description"))
    def description(self) -> str:
        return self.row.description

    @strawberry.field(metadata=derived("category"))
    def category(self) -> Category:
        return Category(self.row.category)

    @strawberry.field(metadata=derived("employment_type"))
    def employment_type(self) -> EmploymentType:
        return EmploymentType(self.row.employment_type)

    @strawberry.field(metadata=derived("prefecture", "city", "nearest_station"))
    def location(self) -> Location:
        row = self.row
        return Location(
            prefecture=row.prefecture,
            city=row.city,
            nearest_station=row.nearest_station,
            prefecture_info=Prefecture.named(row.prefecture),
            station=Station.named(row.nearest_station),
        )

    @strawberry.field(metadata=derived("remote"))
    def remote(self) -> RemoteOption:
        return RemoteOption(self.row.remote)

    @strawberry.field(
        metadata=derived("salary_min", "salary_max", "salary_currency", "salary_period")
    )
    def salary(self) -> Salary:
        return Salary.of(self.row)

    @strawberry.field(metadata=derived("japanese_level"))
    def japanese_level(self) -> JapaneseLevel:
        return JapaneseLevel(self.row.japanese_level)

    @strawberry.field(metadata=derived("english_level"))
    def english_level(self) -> EnglishLevel:
        return EnglishLevel(self.row.english_level)

    @strawberry.field(metadata=derived("visa_sponsorship"))
    def visa_sponsorship(self) -> bool:
        return self.row.visa_sponsorship

    @strawberry.field(metadata=derived("benefits"))
    def benefits(self) -> list[str]:
        return self.row.benefits

    @strawberry.field(metadata=derived("status", "expires_at"))
    def status(self) -> JobStatus:
        return effective_status(self.row)

    @strawberry.field(metadata=derived("published_at"))
    def published_at(self) -> datetime | None:
        return self.row.published_at

    @strawberry.field(
        metadata=derived("expires_at"),
        description="Until when it runs (JSON-LD's validThrough): it leaves search then.",
    )
    def expires_at(self) -> datetime | None:
        return self.row.expires_at

    @strawberry.field(
        metadata=derived("confirmed_at", "published_at"),
        description="When its employer last confirmed it accurate (publishing and editing "
        "confirm it; so does confirmJob): show it, as Japan's Employment Security Act asks "
        "job information to state the date it is current as of.",
    )
    def current_as_of(self) -> datetime | None:
        return self.row.confirmed_at or self.row.published_at

    # Read as a plain field where the page loaded it (graphql/execution.py).
    @strawberry.field(graphql_type=Company, metadata={PRELOADED: "loaded_company"})
    def company(self, info: Info) -> Company | Awaitable[Company]:
        # Synchronous where the page loaded it: no awaitable per item on a search page.
        if self.loaded_company is not None:
            return self.loaded_company
        return _company_of(info, self.row.company_id)

    @strawberry.field(
        description="The posting's page on this site, made from the site's "
        "policy.job_url_template; null where the site has not said where its job pages are."
    )
    def url(self, info: Info) -> str | None:
        return publishing.job_url(info.context.tenant, self.row.id)

    @strawberry.field(
        description="The posting as schema.org JobPosting JSON-LD for search engines (Google "
        "for Jobs), as data. To put it in a page, take jsonLdScript: serialized here, a "
        "title such as </script> would end the script element."
    )
    async def json_ld(self, info: Info) -> JSON:
        return JSON(await self._json_ld(info))

    @strawberry.field(
        description="The JSON-LD as text to put as it is inside a "
        '<script type="application/ld+json"> element on the job\'s page (<, > and & '
        "escaped, so no value can end the script). Also at /jobs/<id>/jsonld."
    )
    async def json_ld_script(self, info: Info) -> str:
        return json_for_html(await self._json_ld(info))

    async def _json_ld(self, info: Info) -> dict[str, Any]:
        company = self.company_row
        if company is None:
            company = await info.context.loaders.company_by_id.load(self.row.company_id)
        if company is None:  # a foreign key: gone only if deleted while this request ran
            raise NotFound("This posting's company no longer exists.")
        return publishing.json_ld(info.context.tenant, self.row, company)

    @strawberry.field(
        description="Open postings like this one on this site: same category, "
        "same prefecture first."
    )
    async def similar_jobs(self, info: Info, first: int = 5) -> list[Job]:
        context = info.context
        key = (self.row.id, page_size(context.tenant.max_page_size, first))
        return [Job.of(row) for row in await context.loaders.similar_jobs_by_job.load(key)]

    @strawberry.field(
        permission_classes=[MemberOfPostingCompany],
        description="Views of this posting, for its company's members.",
    )
    async def view_count(self, info: Info) -> int:
        return await info.context.loaders.view_count_by_job.load(self.row.id)

    @strawberry.field(
        permission_classes=[MemberOfPostingCompany],
        description="Applications to this posting that were not withdrawn, for its "
        "company's members.",
    )
    async def applicant_count(self, info: Info) -> int:
        return await info.context.loaders.applicant_count_by_job.load(self.row.id)


@strawberry.type
class JobEdge:
    node: Job
    cursor: str

    @classmethod
    def of(cls, row: JobPosting, company: CompanyRow, cursor: str) -> JobEdge:
        """A search page's edge of a posting read with its company (``search.Page``)."""
        # Set at once, as __init__ would set them (fifty a page; tests/jobs/test_types.py).
        edge = _new(cls)
        edge.__dict__ = {"node": Job.of(row, company), "cursor": cursor}
        return edge

    @staticmethod
    def columns(layout: search.Layout) -> RecordColumns:
        """Where each plain field of an edge, its posting and its company lies in a record
        of ``layout``: what ``of`` (with ``Job.of`` and ``Company.of``) reads of it, field by
        field, for a shaper that reads the records themselves (``fields.RecordList``)."""
        posting_end = layout.posting_end
        found: dict[tuple[type, str], Column] = {
            (JobEdge, "cursor"): Column(
                layout.company_end,
                spread=layout.cursor_width,
                joined=search.CURSOR_SEPARATOR,  # as encode_cursor writes it
                gives=str,
            ),
            (JobEdge, "node"): Column(same_record=True),
            (Job, "loaded_company"): Column(same_record=True),
        }
        for owner, view, start, shown in (
            (Job, layout.posting, 0, ("id", "title", "tags")),
            (Company, layout.company, posting_end, ("id", "name")),
        ):
            for index, column in enumerate(view.columns, start):
                if column.key == "id":
                    found[(owner, column.key)] = Column(index, show_id, gives=str)
                elif column.key in shown:
                    found[(owner, column.key)] = _column_of(index, column)
        return RecordColumns(found)


def _column_of(index: int, column: Any) -> Column:
    """A plain column as a record holds it: a non-null text column gives strings; a
    non-null text array, a list of strings and nulls (as the driver reads it)."""
    if column.nullable:
        return Column(index)
    if column.type.python_type is str:
        return Column(index, gives=str)
    item_type = getattr(column.type, "item_type", None)  # an ARRAY's
    if column.type.python_type is list and item_type is not None and item_type.python_type is str:
        return Column(index, gives=list, items=str)
    return Column(index)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="How many results fall in each value of a facet.")
class FacetValue:
    value: str
    count: int
    prefecture: Prefecture | None = strawberry.field(
        default=None, description="In the prefecture facet: its code and both names."
    )
    station: Station | None = strawberry.field(
        default=None, description="In the station facet: both names and its lines."
    )
    line: RailwayLine | None = strawberry.field(
        default=None, description="In the line facet: both names."
    )


@strawberry.type(
    description="Counts for the filter sidebar: each facet counts the current search under "
    "every filter but its own, so a chosen value still lists the others to switch to."
)
class JobFacets:
    category: list[FacetValue] = strawberry.field(metadata=at_most(search.MAX_FACET_VALUES))
    prefecture: list[FacetValue] = strawberry.field(metadata=at_most(search.MAX_FACET_VALUES))
    nearest_station: list[FacetValue] = strawberry.field(
        description="By nearest station, under every filter but nearestStation.",
        metadata=at_most(search.MAX_FACET_VALUES),
    )
    line: list[FacetValue] = strawberry.field(
        description="By railway line, from the station facet: a posting near a station "
        "several lines serve counts for each.",
        metadata=at_most(search.MAX_FACET_VALUES),
    )
    employment_type: list[FacetValue] = strawberry.field(metadata=at_most(search.MAX_FACET_VALUES))
    japanese_level: list[FacetValue] = strawberry.field(metadata=at_most(search.MAX_FACET_VALUES))


@strawberry.type(description="How a search that found nothing was broadened.")
class Broadening:
    dropped_term: str = strawberry.field(
        description="The term left out: of the search's terms, the one fewest postings contain."
    )
    searched_for: str = strawberry.field(description="The search text the results are for.")


# What the counts over a whole search cost in a caller's budget beyond their point each,
# against about 400 for a page of 50 postings: the whole search page (a total, six facets
# and a histogram, cold) took about nine times the plain page's time (`make bench`), most
# of it the facets' grouped counts. Its estimate stays well within the default max_cost.
TOTAL_COST = 200
FACETS_COST = 2000
HISTOGRAM_COST = 300


@strawberry.type(
    description="A page of search results. totalCount and facets are counted only when asked for."
)
class JobConnection:
    edges: list[JobEdge]
    page_info: PageInfo
    query: strawberry.Private[search.JobQuery]
    scope: strawberry.Private[search.Scope]
    # Both totalCount and facets asked: one statement answers both (see _counts).
    counted_together: strawberry.Private[bool] = False
    counting: strawberry.Private[asyncio.Task[search.KeptSummary] | None] = None
    # Counted with the page where the facet index answers from memory (``count_now``):
    # the fields then read them as plain values, and the whole page can be planned.
    total: strawberry.Private[int | None] = None
    facet_counts: strawberry.Private[JobFacets | None] = None
    histograms: strawberry.Private[dict[tuple[object, ...], list[SalaryBucket]] | None] = None
    suggestion: str | None = strawberry.field(
        default=None,
        description="Set when the search as given found nothing, not even broadened, and "
        'this spelling of it finds some: ask "Did you mean …?"',
    )
    broadened: Broadening | None = strawberry.field(
        default=None,
        description="Set when the search as given found nothing and these results are of "
        "a broader one: tell the visitor, and page on with its searchedFor.",
    )

    def _counts(self, info: Info) -> asyncio.Task[search.KeptSummary]:
        if self.counting is None:
            self.counting = asyncio.ensure_future(
                search.summary(info.context.db, self.scope, self.query)
            )
        return self.counting

    @strawberry.field(metadata=database_cost(TOTAL_COST) | {PRELOADED: "total"})
    async def total_count(self, info: Info) -> int:
        if self.counted_together:
            total, _facets = await self._counts(info)
            return total
        return await search.count(info.context.db, self.scope, self.query)

    @strawberry.field(
        description="How many postings of this search (under every filter but salaryAtLeast) "
        "pay, as a yearly figure in `currency`, from each of `bounds` up to the next: "
        "choose the buckets, e.g. [0, 3000000, 4000000, 6000000, 8000000]. Postings "
        "without a salary, or in another currency, are not counted.",
        metadata=at_most(search.MAX_HISTOGRAM_BUCKETS)
        | database_cost(HISTOGRAM_COST)
        | {PRELOADED_BY_ARGUMENTS: "histograms"},
    )
    async def salary_histogram(
        self, info: Info, bounds: list[int], currency: str = "JPY"
    ) -> list[SalaryBucket]:
        counts = await search.salary_histogram(
            info.context.db, self.scope, self.query, bounds, currency.upper()
        )
        return _buckets(bounds, counts)

    @strawberry.field(metadata=database_cost(FACETS_COST) | {PRELOADED: "facet_counts"})
    async def facets(self, info: Info) -> JobFacets:
        _total, counts = await self._counts(info)
        return _facets(counts)

    async def count_now(
        self, db: Any, asked: frozenset[str], histograms: tuple[Histogram, ...]
    ) -> None:
        """Counts what the page asks (``asked``; ``histograms``: those its document writes
        out), where the counts are in memory: no statement, no task per field."""
        if "facets" in asked:
            total, counts = await search.summary(db, self.scope, self.query)
            self.total, self.facet_counts = total, _facets(counts)
        elif "totalCount" in asked:
            self.total = await search.count(db, self.scope, self.query)
        if histograms:
            self.histograms = {}
            for key, bounds, currency in histograms:
                try:
                    buckets = await search.salary_histogram(
                        db, self.scope, self.query, bounds, currency.upper()
                    )
                except BadUserInput:
                    continue  # its field reports it, where it is asked
                self.histograms[key] = _buckets(bounds, buckets)


# A histogram a page's document writes out: its arguments' key, its bounds, its currency.
Histogram = tuple[tuple[object, ...], list[int], str]


def _buckets(bounds: list[int], counts: list[int]) -> list[SalaryBucket]:
    tops: list[int | None] = [*bounds[1:], None]
    return [
        SalaryBucket(min=low, max=high, count=number)
        for low, high, number in zip(bounds, tops, counts, strict=True)
    ]


def _facets(counts: KeptCounts) -> JobFacets:
    """The facets the API shows of a search's counts: made once per kept search (a whole
    page's facets are a hundred and more values, each a FacetValue with its place)."""
    if counts.shown is None:
        counts.shown = _made_facets(counts)
    return cast(JobFacets, counts.shown)


def _made_facets(counts: dict[str, list[tuple[str, int]]]) -> JobFacets:
    values = {
        name: [FacetValue(value=value, count=number) for value, number in pairs]
        for name, pairs in counts.items()
    }
    for item in values["prefecture"]:
        item.prefecture = Prefecture.named(item.value)
    for item in values["nearest_station"]:
        item.station = Station.named(item.value)
    return JobFacets(**values, line=_line_facet(counts["nearest_station"]))


def _line_facet(stations: list[tuple[str, int]]) -> list[FacetValue]:
    by_line: dict[places.RailwayLine, int] = {}
    for name, number in stations:
        known = places.STATION_BY_NAME.get(name)
        for line in known.lines if known else ():
            by_line[line] = by_line.get(line, 0) + number
    ordered = sorted(by_line.items(), key=lambda pair: (-pair[1], pair[0].name))
    ordered = ordered[: search.MAX_FACET_VALUES]
    return [
        FacetValue(value=line.name, count=number, line=RailwayLine.of(line))
        for line, number in ordered
    ]


# The fields of a page that ask nothing more of the database than its own statement.
_PAGE_ONLY = frozenset({"edges", "pageInfo", "broadened", "suggestion", "__typename"})
_COUNTS = frozenset({"totalCount", "facets", "salaryHistogram"})
_PAGE_AND_COUNTS = _PAGE_ONLY | _COUNTS

# What every page reads of a posting and its company: what Job.of and Company.of read.
PAGE_READS = search.Reads(
    frozenset({"id", "company_id", "title", "tags"}), frozenset({"id", "name"})
)


def _fields_of(selections: list[Any]) -> Iterator[SelectedField]:
    """The fields of a selection, through its fragments."""
    pending = list(selections)
    while pending:
        selection = pending.pop()
        if isinstance(selection, SelectedField):
            yield selection
        else:  # an inline fragment or a fragment spread
            pending.extend(selection.selections)


def _by_graphql_name(kind: type) -> dict[str, Any]:
    definition = kind.__strawberry_definition__  # type: ignore[attr-defined]
    return {
        field.graphql_name or to_camel_case(field.python_name): field for field in definition.fields
    }


def _add_reads(selections: list[Any], kind: type, reads: dict[type, set[str] | None]) -> None:
    """Adds to ``reads`` the columns of a posting's (``Job``) or company's row that these
    selected fields read; None where one may read any (a resolver with an info)."""
    fields = _FIELDS[kind]
    for selected in _fields_of(selections):
        if selected.name == "__typename":
            continue
        if kind is Job and selected.name == "company":  # the company joined to the page
            _add_reads(selected.selections, Company, reads)
            continue
        field = fields.get(selected.name)
        declared = (field.metadata or {}).get(DERIVED) if field is not None else None
        known = reads[kind]
        if declared is not None and known is not None:
            known |= declared
        elif field is None or field.base_resolver is not None:
            # A resolver may read its row at will, and a posting's its company's too.
            reads[kind] = None
            if kind is Job:
                reads[Company] = None


def page_reads(selected: list[Any], field_name: str) -> search.Reads:
    """The columns a search page reads for what its query selects under edges.node
    (``selected``: ``info.selected_fields`` of the connection's field, ``field_name``)."""
    assert PAGE_READS.posting is not None and PAGE_READS.company is not None
    reads: dict[type, set[str] | None] = {
        Job: set(PAGE_READS.posting),
        Company: set(PAGE_READS.company),
    }
    for connection in _fields_of(selected):
        for edges in _fields_of(connection.selections) if connection.name == field_name else ():
            for node in _fields_of(edges.selections) if edges.name == "edges" else ():
                if node.name == "node":
                    _add_reads(node.selections, Job, reads)
    posting, company = reads[Job], reads[Company]
    return search.Reads(
        None if posting is None else frozenset(posting),
        None if company is None else frozenset(company),
    )


def selected_names(selected: list[Any], field_name: str) -> set[str]:
    """The names of the fields selected directly under the current one (``field_name``;
    ``selected``: ``info.selected_fields``), through any fragments, as the document spells
    them."""
    return {
        child.name
        for field in _fields_of(selected)
        if field.name == field_name
        for child in _fields_of(field.selections)
    }


async def _company_of(info: Info, company_id: uuid.UUID) -> Company:
    row = await info.context.loaders.company_by_id.load(company_id)
    if row is None:  # a foreign key: gone only if deleted while this request ran
        raise NotFound("This posting's company no longer exists.")
    return Company.of(row)


def effective_status(row: JobPosting) -> JobStatus:
    """A published posting past its expiry date reads as EXPIRED."""
    if (
        row.status == JobStatus.PUBLISHED
        and row.expires_at is not None
        and row.expires_at <= datetime.now(UTC)
    ):
        return JobStatus.EXPIRED
    return JobStatus(row.status)


PageSelection = tuple[search.Reads, frozenset[str], tuple[Histogram, ...]]


def _page_selection(info: Info) -> PageSelection:
    """What a search page's selection reads and asks (``page_reads``, ``selected_names``)
    and the histograms its document writes out, kept with the request's document where it
    is (``execution.KeptWork``)."""

    def work_out() -> PageSelection:
        selected = info.selected_fields  # worked out by Strawberry on each call: once here
        asked = frozenset(selected_names(selected, info.field_name))
        histograms = _written_histograms(info) if "salaryHistogram" in asked else ()
        return page_reads(selected, info.field_name), asked, histograms

    kept = info.context.kept_work
    if kept is None:
        return work_out()
    found: PageSelection = kept.selection(info._raw_info.field_nodes, work_out)
    return found


def _written_histograms(info: Info) -> tuple[Histogram, ...]:
    """The salary histograms asked of this page whose arguments its document writes out
    (not variables), each with its arguments' key as the execution keys them."""
    raw = info._raw_info
    connection_type: Any = raw.return_type
    while hasattr(connection_type, "of_type"):
        connection_type = connection_type.of_type
    histogram = connection_type.fields["salaryHistogram"]
    found: dict[tuple[object, ...], Histogram] = {}
    pending = [selection for node in raw.field_nodes for selection in _selections(node)]
    while pending:
        selection = pending.pop()
        if isinstance(selection, FieldNode):
            if selection.name.value == "salaryHistogram" and not selection.directives:
                arguments = literal_arguments(histogram, selection)
                if arguments is not None:
                    key = arguments_key(arguments)
                    found[key] = (key, list(arguments["bounds"]), str(arguments["currency"]))
        elif isinstance(selection, InlineFragmentNode):
            pending.extend(_selections(selection))
        elif isinstance(selection, FragmentSpreadNode):
            fragment = raw.fragments.get(selection.name.value)
            if fragment is not None:
                pending.extend(_selections(fragment))
    return tuple(found.values())


def _selections(node: Any) -> list[Any]:
    return list(node.selection_set.selections) if node.selection_set is not None else []


async def connection(
    info: Info,
    scope: search.Scope,
    query: search.JobQuery,
    first: int | None,
    after: str | None,
    broaden: bool = False,
) -> JobConnection:
    db = info.context.db
    size = page_size(info.context.tenant.max_page_size, first)
    # Every connection's counts say where they were worked out, for the query's cost.
    scope = scope.recording(info.context.counting)
    query = await search.normalized(db, query)  # once, for page and counts
    # The columns its fields read (a listing leaves descriptions in the database), and
    # the fields asked of the connection: once per document where it is kept.
    reads, asked, histograms = _page_selection(info)
    # Counts asked and answered from memory now: worked out with the page.
    counted_now = (
        not asked.isdisjoint(_COUNTS) and scope.counts is not None and scope.counts.in_memory(query)
    )
    counted_query = query  # a broadened search's counts are counted by its fields
    # Nothing but the page asked of the database (no field loading more, no count but
    # from memory): its statement is read alone, on the driver.
    alone = None not in (reads.posting, reads.company) and (
        asked <= _PAGE_ONLY or (asked <= _PAGE_AND_COUNTS and counted_now)
    )
    page = await search.search_page(db, scope, query, size, after, reads, alone)
    broadening = None
    if broaden and not page.records and after is None:
        # Nothing found: the same search without its most narrowing term, if that finds any.
        broader = await search.broadened(db, scope, query)
        if broader is not None:
            wider = await search.search_page(db, scope, broader[0], size, None, reads)
            if wider.records:
                query, page = broader[0], wider
                broadening = Broadening(dropped_term=broader[1], searched_for=query.text or "")
    suggestion = None
    if broaden and not page.records and after is None:
        spelled = await search.respelled(db, scope, query)
        if spelled is not None:
            respelled = await search.normalized(db, replace(query, text=spelled, terms=None))
            if (await search.search_page(db, scope, respelled, 1, None, PAGE_READS)).records:
                suggestion = spelled
    found = JobConnection(
        edges=page.shown(JobEdge.of, JobEdge.columns),
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=after is not None,
            start_cursor=page.cursor(0),
            end_cursor=page.cursor(-1),
        ),
        query=query,
        scope=scope,
        counted_together={"totalCount", "facets"} <= asked,
        broadened=broadening,
        suggestion=suggestion,
    )
    if counted_now and query is counted_query:
        await found.count_now(db, asked, histograms)
    return found


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
            id=show_id(row.id),
            name=row.name,
            search=row.query.get("search"),
            frequency=AlertFrequency(row.frequency),
            last_run_at=row.last_run_at,
        )


# The fields of a posting and a company by their names in the schema (for page_reads).
_FIELDS: dict[type, dict[str, Any]] = {kind: _by_graphql_name(kind) for kind in (Job, Company)}
