"""Job search: which postings a tenant shows, the filters and sorts partner sites use,
keyset pagination, and facet counts. Text matching lives in SQL (migration 0004)."""

from __future__ import annotations

import base64
import difflib
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, Protocol, TypeAlias, TypeVar

import orjson
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from jobgraph import places
from jobgraph.caches import Cache, CacheEvent, Caches, CacheSpec, each, text_bytes
from jobgraph.db.engine import kept_rows, plain_rows
from jobgraph.db.views import RowView
from jobgraph.errors import BadUserInput
from jobgraph.fields import Counting, KeptCounts, RecordColumns, RecordList
from jobgraph.jobs.enums import (
    Category,
    EmploymentType,
    JapaneseLevel,
    JobSort,
    JobStatus,
    RemoteOption,
)
from jobgraph.jobs.models import Company, JobPosting
from jobgraph.tenancy.registry import Tenant
from jobgraph.waiting import Together

T = TypeVar("T")


@dataclass(frozen=True)
class JobFilter:
    categories: list[Category] = field(default_factory=list)
    employment_types: list[EmploymentType] = field(default_factory=list)
    prefecture: str | None = None
    city: str | None = None
    nearest_station: str | None = None
    # A railway line (its English name): postings nearest a station it serves.
    line: str | None = None
    remote: list[RemoteOption] = field(default_factory=list)
    salary_at_least: int | None = None
    japanese_level_at_most: JapaneseLevel | None = None
    visa_sponsorship: bool | None = None
    company_id: uuid.UUID | None = None
    posted_since: datetime | None = None
    tags: list[str] = field(default_factory=list)

    def chosen(self) -> dict[str, Any]:
        """The filters given, by field name (its ``__dict__`` also holds its ``key``)."""
        return {
            name: value
            for name in _FILTER_FIELDS
            if (value := getattr(self, name)) is not None and value != []
        }

    def as_json(self) -> dict[str, Any]:
        """For saved searches: plain JSON values."""
        values = self.chosen()
        for key, value in values.items():
            if isinstance(value, datetime):
                values[key] = value.isoformat()
            elif isinstance(value, uuid.UUID):
                values[key] = str(value)
        return values

    @cached_property
    def key(self) -> bytes:
        """The filter as a key (its JSON, keys sorted): worked out once per filter (a
        search without one shares ``inputs.NO_FILTER``)."""
        return orjson.dumps(self.as_json(), option=orjson.OPT_SORT_KEYS)

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> JobFilter:
        parsed = dict(values)
        if "posted_since" in parsed:
            parsed["posted_since"] = datetime.fromisoformat(parsed["posted_since"])
        if "company_id" in parsed:
            parsed["company_id"] = uuid.UUID(parsed["company_id"])
        if "japanese_level_at_most" in parsed:
            parsed["japanese_level_at_most"] = JapaneseLevel(parsed["japanese_level_at_most"])
        return cls(**parsed)


# A filter's fields by name.
_FILTER_FIELDS = tuple(filter_field.name for filter_field in fields(JobFilter))


@dataclass(frozen=True)
class JobQuery:
    text: str | None = None
    filter: JobFilter = field(default_factory=JobFilter)
    sort: JobSort = JobSort.RELEVANCE
    # The search text's terms as the database normalises them (see ``normalized``): with
    # them, matching and ranking are plain string functions the planner runs cheaply.
    terms: tuple[str, ...] | None = None
    # Diversity: each company's first so many postings by the sort, the others left out.
    max_per_company: int | None = None

    @property
    def effective_sort(self) -> JobSort:
        return JobSort.NEWEST if self.sort is JobSort.RELEVANCE and not self.text else self.sort

    @cached_property
    def described(self) -> tuple[Any, ...]:
        """What tells one search from another, as a key: worked out once per query (a whole
        page keys its page, statement, counts and histogram by it)."""
        return (self.text, self.terms, self.sort, self.max_per_company, self.filter.key)


class CountsInMemory(Protocol):
    """Counts of a site's search without scanning it (jobs/facet_index.py): each answers
    None where it cannot, and SQL counts instead."""

    async def summary(self, db: AsyncSession, query: JobQuery) -> Summary | None: ...

    async def count(self, db: AsyncSession, query: JobQuery) -> int | None: ...

    async def histogram(
        self, db: AsyncSession, query: JobQuery, bounds: list[int], currency: str
    ) -> list[int] | None: ...

    def in_memory(self, query: JobQuery) -> bool:
        """Whether the counts of ``query`` are answered now without any statement."""
        ...


@dataclass(frozen=True)
class Scope:
    """Which postings a listing may show, as disjoint branches (one per source tenant), so
    that each branch walks its own index in sort order instead of the whole pool."""

    pool_id: str
    branches: tuple[ColumnElement[bool], ...]
    # Set for a site's public listing as of a data version (see ``cacheable``).
    results: SearchResults | None = None
    cache_key: tuple[Any, ...] | None = None
    # Set for a site's public listing: its counts from memory where they can be.
    counts: CountsInMemory | None = None
    # Where a request's counts over it were worked out, for their cost (fields.Counting).
    counting: Counting | None = None

    def cacheable(self, results: SearchResults, *key: Any) -> Scope:
        """This scope's results may be kept in ``results`` under ``key`` and reused by
        any viewer: the key must change whenever the results could (the site's settings
        version and its pool's data version)."""
        return self._with(results=results, cache_key=key)

    def counted_by(self, counts: CountsInMemory) -> Scope:
        """This scope's totals, facets and histograms may be counted by ``counts`` (the
        facet index of its site), which must show exactly this scope's postings."""
        return self._with(counts=counts)

    def recording(self, counting: Counting) -> Scope:
        """Where its counts are worked out (kept, from memory, by SQL) is recorded in
        ``counting``: one request's."""
        return self._with(counting=counting)

    def _with(self, **changes: Any) -> Scope:
        """This scope with ``changes``: what dataclasses.replace makes of it (no field of
        it computed at init) without working out its fields again, three times a search."""
        changed = object.__new__(Scope)
        changed.__dict__.update(self.__dict__, **changes)
        return changed

    def counted_by_sql(self) -> None:
        if self.counting is not None:
            self.counting.in_database = True

    @property
    def condition(self) -> ColumnElement[bool]:
        return and_(JobPosting.pool_id == constant(self.pool_id), or_(*self.branches))

    def narrowed(self, *conditions: ColumnElement[bool]) -> Scope:
        """Fewer postings: not cacheable under the wider scope's key."""
        return Scope(self.pool_id, tuple(and_(branch, *conditions) for branch in self.branches))


# Each site's public scope, built once per site (as the registry holds it): its time
# conditions read the database's clock when a statement runs (statement_timestamp()).
SHOWN: CacheSpec[int, tuple[Tenant, Scope]] = CacheSpec(
    "site_scopes",
    key="a site as the registry holds it (a new configuration is a new object)",
    max_bytes=32 * 2**20,
    weigh=each(32 * 1024),
    cleared_by=(CacheEvent.SITES_CHANGED,),
)


def shown_on(tenant: Tenant, now: datetime | None = None) -> Scope:
    """The postings a tenant shows anyone: published, not expired, and on a partner site
    only its own and the share of its main site's that its feed selects (as of ``now``, or
    of the moment each statement runs)."""
    if now is not None:
        return _shown_on(tenant, literal(now, DateTime(timezone=True)))
    kept = SHOWN.get(id(tenant))
    if kept is None or kept[0] is not tenant:
        kept = (tenant, _shown_on(tenant, func.statement_timestamp()))
        SHOWN.put(id(tenant), kept)
    return kept[1]


def confirmation_period(tenant: Tenant) -> int | None:
    """Within how many days a posting the site shows must have been confirmed, if any: the
    stricter of the site's and (a partner's) its main site's, so that a main site's stale
    posting leaves its partners too."""
    periods = [tenant.policy.confirm_listings_every_days]
    if tenant.parent_policy is not None:
        periods.append(tenant.parent_policy.confirm_listings_every_days)
    return min((period for period in periods if period is not None), default=None)


def _shown_on(tenant: Tenant, moment: ColumnElement[datetime]) -> Scope:
    scope = posted_for(tenant).narrowed(
        JobPosting.status == constant(JobStatus.PUBLISHED),
        or_(JobPosting.expires_at.is_(None), JobPosting.expires_at > moment),
    )
    days = confirmation_period(tenant)
    if days is not None:
        # Confirmed within the site's period: a stale listing leaves by itself.
        period = func.make_interval(0, 0, 0, constant(int(days)))
        scope = scope.narrowed(current_as_of() > moment - period)
    return scope


def constant(value: Any) -> Any:
    """A value the site's configuration or the page's size fixes (never a visitor's
    input): written into the SQL as it runs, so that a statement with no other parameter
    (a site's listing) keeps one plan on each connection rather than being planned at
    every run."""
    return literal(value, literal_execute=True)


def constants(values: list[Any]) -> Any:
    """A list of such values, for ``in_``."""
    return bindparam(None, list(values), expanding=True, literal_execute=True)


def current_as_of() -> ColumnElement[datetime]:
    """When a posting was last confirmed accurate: publishing and editing confirm it."""
    return func.coalesce(JobPosting.confirmed_at, JobPosting.published_at)


def posted_for(tenant: Tenant) -> Scope:
    """Which tenants' postings (whatever their status) this tenant carries."""
    feed = tenant.config.policy.feed
    own = JobPosting.tenant_slug == constant(tenant.slug)
    if not tenant.is_partner_site or feed is None:
        return Scope(tenant.pool_id, (own,))
    from_parent = [JobPosting.tenant_slug == constant(tenant.config.parent)]
    if feed.categories:
        from_parent.append(JobPosting.category.in_(constants(feed.categories)))
    if feed.prefectures:
        from_parent.append(JobPosting.prefecture.in_(constants(feed.prefectures)))
    if feed.include_companies:
        from_parent.append(
            JobPosting.company_id.in_(
                select(Company.id).where(
                    Company.pool_id == constant(tenant.pool_id),
                    Company.name.in_(constants(feed.include_companies)),
                )
            )
        )
    if feed.exclude_companies:
        from_parent.append(
            JobPosting.company_id.not_in(
                select(Company.id).where(
                    Company.pool_id == constant(tenant.pool_id),
                    Company.name.in_(constants(feed.exclude_companies)),
                )
            )
        )
    branches = (own, and_(*from_parent)) if feed.include_own_postings else (and_(*from_parent),)
    return Scope(tenant.pool_id, branches)


# Search texts this process normalised already (the SQL function is immutable): a
# repeated search costs no statement for its terms.
TERMS: CacheSpec[str, tuple[str, ...]] = CacheSpec(
    "search_terms",
    key="a search's text",
    max_bytes=8 * 2**20,
    weigh=lambda text, terms: text_bytes(text) + sum(text_bytes(term) + 8 for term in terms),
)


async def normalized(db: AsyncSession, query: JobQuery) -> JobQuery:
    """The query with its terms, normalised once by the same SQL function that fills the
    search columns; a text of punctuation only is no text."""
    if not query.text or query.terms is not None:
        return query
    terms = TERMS.get(query.text)
    if terms is None:
        terms = tuple(await db.scalar(select(func.jobgraph_search_terms(query.text))) or ())
        TERMS.put(query.text, terms)
    if not terms:
        return replace(query, text=None, terms=None)
    return replace(query, terms=tuple(terms))


async def broadened(db: AsyncSession, scope: Scope, query: JobQuery) -> tuple[JobQuery, str] | None:
    """For a search of several terms: the same search without the term that narrows it
    most (the one fewest postings of the search's scope and filters contain), and that
    term; None for a single term. One statement."""
    if not query.terms or len(query.terms) < 2:
        return None
    contains = [
        or_(
            func.strpos(JobPosting.search_title, term) > 0,
            func.strpos(JobPosting.search_body, term) > 0,
        )
        for term in query.terms
    ]
    unsearched = replace(query, text=None, terms=None)
    counts = (
        await db.execute(
            select(*[func.count().filter(condition) for condition in contains]).where(
                scope.condition, *conditions(unsearched)
            )
        )
    ).one()
    rarest = min(range(len(query.terms)), key=lambda index: (counts[index], index))
    kept = tuple(term for index, term in enumerate(query.terms) if index != rarest)
    return replace(query, text=" ".join(kept), terms=kept), query.terms[rarest]


# The words a site's postings are titled with, by site and data (see ``respelled``).
VOCABULARY: CacheSpec[tuple[Any, ...], tuple[str, ...]] = CacheSpec(
    "title_words",
    key="a site's scope and its pool's data version",
    max_bytes=32 * 2**20,
    weigh=lambda _key, words: sum(text_bytes(word) + 8 for word in words) + 1024,
)


async def respelled(db: AsyncSession, scope: Scope, query: JobQuery) -> str | None:
    """For a search that finds nothing: the same text with each term no posting contains
    replaced by the closest word of the scope's posting titles (a misspelling: "pyhton"
    for "python"), or None where no term has a close word. One statement, and none while
    the scope's postings are unchanged (the words are kept under its data version)."""
    if not query.terms:
        return None
    key = scope.cache_key
    vocabulary = VOCABULARY.get(key) if key is not None else None
    if vocabulary is None:
        words = func.regexp_split_to_table(func.lower(JobPosting.title), "[^a-z]+")
        rows = await db.execute(select(words.label("word")).where(scope.condition).distinct())
        vocabulary = tuple(sorted(word for (word,) in rows if len(word) >= 3))
        if key is not None:
            VOCABULARY.put(key, vocabulary)
    known = set(vocabulary)
    changed = False
    spelled = []
    for term in query.terms:
        close = [] if term in known else difflib.get_close_matches(term, vocabulary, 1, 0.75)
        spelled.append(close[0] if close else term)
        changed = changed or bool(close)
    return " ".join(spelled) if changed else None


def _rank(query: JobQuery) -> ColumnElement[int]:
    """3 per term in the title and 1 per term in the company name and description."""
    if query.terms is None:
        return func.jobgraph_search_rank(
            JobPosting.search_title, JobPosting.search_body, query.text
        )
    return sum(
        (
            (func.strpos(JobPosting.search_title, term) > 0).cast(Integer) * 3
            + (func.strpos(JobPosting.search_body, term) > 0).cast(Integer)
            for term in query.terms
        ),
        start=literal(0, Integer),
    )


def _every_term(query: JobQuery) -> ColumnElement[bool]:
    if query.terms is None:
        return _rank(query) > 0
    return and_(
        *(
            or_(
                func.strpos(JobPosting.search_title, term) > 0,
                func.strpos(JobPosting.search_body, term) > 0,
            )
            for term in query.terms
        )
    )


def conditions(query: JobQuery, leave_out: str | None = None) -> list[ColumnElement[bool]]:
    """What a posting must match; ``leave_out`` names a filter (a field of ``JobFilter``)
    to leave out, as a facet's counts leave out the facet's own filter."""
    found: list[ColumnElement[bool]] = []
    if query.text:
        # The bigram index narrows the candidates (through the one function that may read
        # it under row-level security: migration 0005); the rank keeps those with every term.
        found += [
            JobPosting.id.in_(select(func.jobgraph_postings_matching(query.text))),
            _every_term(query),
        ]
    found += [
        condition for name, condition in _filter_conditions(query.filter) if name != leave_out
    ]
    return found


def _filter_conditions(f: JobFilter) -> list[tuple[str, ColumnElement[bool]]]:
    """Each filter given, by the name of its field in ``JobFilter``."""
    found: list[tuple[str, ColumnElement[bool]]] = []
    for name, column, values in (
        ("categories", JobPosting.category, f.categories),
        ("employment_types", JobPosting.employment_type, f.employment_types),
        ("remote", JobPosting.remote, f.remote),
    ):
        if values:
            found.append((name, column.in_([str(value) for value in values])))
    equal: tuple[tuple[str, InstrumentedAttribute[Any], object], ...] = (
        ("prefecture", JobPosting.prefecture, f.prefecture),
        ("city", JobPosting.city, f.city),
        ("nearest_station", JobPosting.nearest_station, f.nearest_station),
        ("company_id", JobPosting.company_id, f.company_id),
        ("visa_sponsorship", JobPosting.visa_sponsorship, f.visa_sponsorship),
    )
    for name, attribute, value in equal:
        if value is not None:
            found.append((name, attribute == value))
    if f.line is not None:
        line = places.line_of(f.line)
        names = [station.name for station in places.stations_on(line)] if line else []
        found.append(("line", JobPosting.nearest_station.in_(names)))
    if f.salary_at_least is not None:
        found.append(("salary_at_least", JobPosting.salary_yearly_max >= f.salary_at_least))
    if f.japanese_level_at_most is not None:
        easier = [str(level) for level in f.japanese_level_at_most.and_easier()]
        found.append(("japanese_level_at_most", JobPosting.japanese_level.in_(easier)))
    if f.posted_since is not None:
        found.append(("posted_since", JobPosting.published_at >= f.posted_since))
    if f.tags:
        found.append(("tags", JobPosting.tags.contains(f.tags)))
    return found


def _sort_keys(query: JobQuery) -> list[ColumnElement[Any] | InstrumentedAttribute[Any]]:
    """A page's order, each key also a value of its cursor (as many as ``_CURSOR_WIDTH``)."""
    sort = query.effective_sort
    if sort is JobSort.SALARY:
        return [func.coalesce(JobPosting.salary_yearly_max, -1), JobPosting.id]
    if sort is JobSort.RELEVANCE:
        assert query.text
        return [_rank(query), JobPosting.published_at, JobPosting.id]
    return [JobPosting.published_at, JobPosting.id]


# How many values a cursor of each sort holds (its sort keys), known before its keys are
# built: a page's records end with them (``Layout``).
_CURSOR_WIDTH = {JobSort.SALARY: 2, JobSort.RELEVANCE: 3, JobSort.NEWEST: 2}


@dataclass(frozen=True)
class Layout:
    """How a page's record reads: the columns of its posting (``posting``), up to
    ``posting_end``, then its company's (``company``), up to ``company_end``, then the
    ``cursor_width`` values of its cursor."""

    posting: RowView
    company: RowView
    posting_end: int
    company_end: int
    cursor_width: int
    # Where the API's objects read each of their fields in such a record, by the function
    # that works them out (types.py's ``JobEdge.columns``), once per layout, with the
    # shapers compiled for them.
    columns: dict[Any, RecordColumns] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, posting: RowView, company: RowView, cursor_width: int) -> Layout:
        posting_end = len(posting.columns)
        company_end = posting_end + len(company.columns)
        return cls(posting, company, posting_end, company_end, cursor_width)


@dataclass(frozen=True)
class Page:
    # The records shown, as the statement read them (``Layout``); each row, its company
    # and its cursor are made of them where they are asked for.
    records: list[Any]
    layout: Layout
    has_next: bool
    # What the API shows of it, made once however often a kept page is asked for; the
    # execution keeps with it the response it shaped of it (fields.RecordList).
    _shown: list[RecordList] = field(default_factory=list, compare=False, repr=False)

    @cached_property
    def rows(self) -> list[JobPosting]:
        """Read-only rows with the models' attributes (see RowView), not ORM entities."""
        as_posting, end = self.layout.posting.row, self.layout.posting_end
        return [as_posting(record[:end]) for record in self.records]

    def shown(
        self, build: Callable[[Any, Any, str], Any], columns: Callable[[Layout], RecordColumns]
    ) -> RecordList:
        """What the API shows of each row (``build(posting, company, cursor)``), once: a
        shaper whose selection reads only what ``columns(layout)`` places in a record reads
        it off the records (a page's fifty postings cost more in Python than its
        statement); anything else has the objects made, in one pass over the records."""
        if not self._shown:
            layout = self.layout
            placed = layout.columns.get(columns)
            if placed is None:
                placed = layout.columns[columns] = columns(layout)
            as_posting, as_company = layout.posting.row, layout.company.row
            posting_end, company_end = layout.posting_end, layout.company_end

            def make(record: Any) -> Any:
                return build(
                    as_posting(record[:posting_end]),
                    as_company(record[posting_end:company_end]),
                    encode_cursor(*record[company_end:]),
                )

            self._shown.append(RecordList(self.records, placed, make))
        return self._shown[0]

    def cursor(self, index: int) -> str | None:
        """The cursor of the record at ``index`` (-1: the last), None on an empty page."""
        if not self.records:
            return None
        return encode_cursor(*self.records[index][self.layout.company_end :])


# A cursor holds a posting's publication time as microseconds since 1970, read as such
# (an integer costs the driver nothing; a timestamp cost it a datetime a row, more than
# the rest of the cursor). extract(epoch) is exact: a numeric.
_PUBLISHED_MICROS = cast(func.extract("epoch", JobPosting.published_at) * 1_000_000, BigInteger)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _cursor_columns(keys: list[Any]) -> list[Any]:
    """What a page reads of each row for its cursor: its sort keys, its publication time
    in microseconds."""
    return [_PUBLISHED_MICROS if key is JobPosting.published_at else key for key in keys]


def _published(value: Any) -> datetime:
    """A cursor's publication time: microseconds since 1970, or (in a cursor given out
    before they were) its ISO text."""
    if isinstance(value, int):
        return _EPOCH + timedelta(microseconds=value)
    return datetime.fromisoformat(value)


def _published_text(value: str) -> datetime:
    """A cursor's publication time written as the digits of its microseconds."""
    return _EPOCH + timedelta(microseconds=int(value))


# A cursor is its row's sort keys as text (ints, the publication time in microseconds, an
# id), joined by "~", which base64 never writes: a cursor given out before (base64 of a
# JSON list) is told apart and still pages. A page's records' shaper writes the same text
# with one f-string a row (types.py's ``JobEdge.columns``: ``Column.joined``).
CURSOR_SEPARATOR = "~"


def encode_cursor(*values: Any) -> str:
    """The cursor of a row whose sort keys are ``values``."""
    return CURSOR_SEPARATOR.join(map(str, values))


def _decode_cursor(cursor: str, query: JobQuery) -> list[Any]:
    sort = query.effective_sort
    try:
        if CURSOR_SEPARATOR in cursor:
            values: list[Any] = cursor.split(CURSOR_SEPARATOR)
            if len(values) != _CURSOR_WIDTH[sort]:
                raise ValueError("another sort's cursor")
            published = _published_text
        else:  # given out before: base64 of a JSON list
            values = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
            published = _published
        if sort is JobSort.SALARY:
            return [int(values[0]), uuid.UUID(values[1])]
        if sort is JobSort.RELEVANCE:
            return [int(values[0]), published(values[1]), uuid.UUID(values[2])]
        return [published(values[0]), uuid.UUID(values[1])]
    except (ValueError, TypeError, IndexError, KeyError, AttributeError) as error:
        raise BadUserInput(
            "The cursor 'after' does not belong to this search; start again from the first page.",
            field="after",
        ) from error


@dataclass(frozen=True)
class Reads:
    """The columns a page reads of each posting and its company, by attribute name: those
    its query's fields read (``derived`` declares a field's), with those every page needs
    (``PAGE_READS``). ``ALL_READS``: every column but the deferred ones."""

    posting: frozenset[str] | None
    company: frozenset[str] | None

    def __or__(self, other: Reads) -> Reads:
        def both(mine: frozenset[str] | None, theirs: frozenset[str] | None) -> Any:
            return None if mine is None or theirs is None else mine | theirs

        return Reads(both(self.posting, other.posting), both(self.company, other.company))


ALL_READS = Reads(None, None)


# Few sets of columns come: the fields a site's documents select.
VIEWS: CacheSpec[tuple[Reads, int], Layout] = CacheSpec(
    "column_views",
    key="the columns a document reads of a posting and of its company, a cursor's width",
    max_bytes=8 * 2**20,
    weigh=each(8 * 1024),
)


def _layout(reads: Reads, query: JobQuery) -> Layout:
    """The views of a posting and its company that read these columns, in a record with
    the cursor of the query's sort."""
    width = _CURSOR_WIDTH[query.effective_sort]
    layout = VIEWS.get((reads, width))
    if layout is None:
        layout = Layout.of(
            RowView.of(JobPosting, reads.posting), RowView.of(Company, reads.company), width
        )
        VIEWS.put((reads, width), layout)
    return layout


# First pages' statements by scope (kept alive with them) and search: a site's popular
# searches are built once (their time conditions read the clock as they run).
FIRST_PAGES: CacheSpec[tuple[Any, ...], tuple[tuple[Any, ...], Select[Any]]] = CacheSpec(
    "first_page_statements",
    key="a site's scope, a search's text, filters and sort, a page size and its columns",
    max_bytes=64 * 2**20,
    weigh=lambda key, _kept: 64 * 1024 + text_bytes(str(key)),
    cleared_by=(CacheEvent.SITES_CHANGED,),
)


def page_statement(
    scope: Scope, query: JobQuery, size: int, after: str | None, reads: Reads = ALL_READS
) -> Select[Any]:
    """The SELECT of one page: the postings in ``scope`` matching ``query``, after the
    cursor, and one more to tell whether a next page exists. With several branches, each
    finds its own first rows (in index order) and only those are merged and sorted.
    Of each posting and its company, the columns ``reads`` names."""
    if after is not None:
        return _page_statement(scope, query, size, after, reads)
    key = (id(scope.branches), scope.pool_id, *query.described, size, reads)
    kept = FIRST_PAGES.get(key)
    if kept is None or kept[0] is not scope.branches:
        kept = (scope.branches, _page_statement(scope, query, size, None, reads))
        FIRST_PAGES.put(key, kept)
    return kept[1]


def _page_statement(
    scope: Scope, query: JobQuery, size: int, after: str | None, reads: Reads
) -> Select[Any]:
    keys = _sort_keys(query)
    matching = list(conditions(query))
    if query.max_per_company is not None:
        # Ranked within its company over the whole search, before any cursor: a company's
        # postings past its first few are in no page.
        ranked = (
            select(
                JobPosting.id,
                func.row_number()
                .over(partition_by=JobPosting.company_id, order_by=[key.desc() for key in keys])
                .label("place"),
            )
            .where(scope.condition, *matching)
            .subquery()
        )
        matching.append(
            JobPosting.id.in_(select(ranked.c.id).where(ranked.c.place <= query.max_per_company))
        )
    if after:
        matching.append(tuple_(*keys) < tuple_(*map(literal, _decode_cursor(after, query))))
    order = [key.desc() for key in keys]
    if len(scope.branches) == 1:
        where = [scope.condition, *matching]
    else:
        firsts = union_all(
            *(
                select(JobPosting.id)
                .where(JobPosting.pool_id == constant(scope.pool_id), branch, *matching)
                .order_by(*order)
                .limit(constant(size + 1))
                for branch in scope.branches
            )
        )
        where = [JobPosting.pool_id == constant(scope.pool_id), JobPosting.id.in_(firsts)]
    # The company of each posting in the same statement: a page never needs a second one.
    company = and_(Company.pool_id == JobPosting.pool_id, Company.id == JobPosting.company_id)
    layout = _layout(reads, query)
    assert len(keys) == layout.cursor_width
    return (
        select(*layout.posting.columns, *layout.company.columns, *_cursor_columns(keys))
        .join_from(JobPosting, Company, company)
        .where(*where)
        .order_by(*order)
        .limit(constant(size + 1))
    )


# A kept posting row with its company's and what the API shows of them (measured with
# tracemalloc: about 3 KB), and the response shaped of it, kept with it (three dicts and
# a list: under 1 KB).
ROW_BYTES = 5 * 1024
# A kept facet value: its (value, count) and the FacetValue shown of it (measured with
# tracemalloc: about 180 bytes shown, the lines made of the stations included), rounded up.
FACET_VALUE_BYTES = 512


def _kept_bytes(_key: tuple[Any, ...], entry: tuple[float, Any]) -> int:
    kept = entry[1]
    if isinstance(kept, tuple) and len(kept) == 2 and isinstance(kept[1], KeptCounts):
        return ROW_BYTES + FACET_VALUE_BYTES * sum(len(values) for values in kept[1].values())
    return ROW_BYTES * (len(getattr(kept, "records", ())) + 1)


KEPT_RESULTS: CacheSpec[tuple[Any, ...], tuple[float, Any]] = CacheSpec(
    "search_results",
    key="a site's version, its pool's data version and a search (see SearchResults)",
    max_bytes=80 * 2**20,
    weigh=_kept_bytes,
)


class SearchResults:
    """Results of public searches, kept by the process: a site's popular searches (its
    landing and category pages) are asked again and again, and their ranking and counts
    are the costliest statements of the service. Reused for ``ttl_s`` at most, so a posting
    that expires in the meantime leaves the results that late; any change to the pool's
    postings or companies, or to the site's settings, changes the key at once. Bounded by
    the postings held."""

    def __init__(self, ttl_s: float = 30.0, caches: Caches | None = None) -> None:
        self.ttl_s = ttl_s
        self._kept = caches.cache(KEPT_RESULTS) if caches is not None else Cache(KEPT_RESULTS)
        self._computing = Together()  # what is being worked out now, by key

    def get(self, key: tuple[Any, ...]) -> Any:
        entry = self._kept.get(key)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def keep(self, key: tuple[Any, ...], value: Any) -> None:
        if self.ttl_s > 0:
            self._kept.put(key, (time.monotonic() + self.ttl_s, value))

    async def computed(
        self, key: tuple[Any, ...], compute: Callable[[], Awaitable[T]]
    ) -> tuple[T, bool]:
        """``compute()``'s result, kept, and whether this request worked it out: once for
        all the requests of this process that ask for it at once (``Together``). A process
        starting under load, or a popular search whose results just expired, would
        otherwise run the same statements once for each of a hundred waiting requests,
        each making the others wait longer."""

        async def work_out() -> T:
            value = await compute()
            self.keep(key, value)
            return value

        if self.ttl_s <= 0:
            return await compute(), True
        return await self._computing.result(key, work_out)


async def _reused_or(
    scope: Scope,
    kind: str,
    query: JobQuery,
    page: tuple[Any, ...],
    compute: Callable[[], Awaitable[T]],
) -> T:
    """The result of ``compute()``, or what the scope's cache holds of it."""
    if scope.results is None or scope.cache_key is None:
        return await compute()
    key = (scope.cache_key, kind, *query.described, *page)
    kept: T | None = scope.results.get(key)
    result, worked_out = (
        (kept, False) if kept is not None else await scope.results.computed(key, compute)
    )
    if not worked_out and kind != "page" and scope.counting is not None:
        # Kept, or worked out by another request: nothing asked of the database.
        scope.counting.in_memory = True
    return result


async def search_page(
    db: AsyncSession,
    scope: Scope,
    query: JobQuery,
    size: int,
    after: str | None,
    reads: Reads = ALL_READS,
    alone: bool = False,
) -> Page:
    """One page of the postings in ``scope`` (``shown_on(tenant)`` for the public) that
    match ``query``, after the cursor ``after``, with the columns ``reads`` names of each
    posting and its company (see ``page_statement``); ``alone``: the request reads nothing
    else (``kept_rows``)."""
    query = await normalized(db, query)

    layout = _layout(reads, query)

    async def compute() -> Page:
        statement = page_statement(scope, query, size, after, reads)
        # A first page's statement is built once and kept: it runs on the driver.
        rows = await (
            kept_rows(db, statement, alone) if after is None else plain_rows(db, statement)
        )
        return Page(records=rows[:size], layout=layout, has_next=len(rows) > size)

    return await _reused_or(scope, "page", query, (size, after, reads), compute)


async def count(db: AsyncSession, scope: Scope, query: JobQuery) -> int:
    query = await normalized(db, query)

    async def compute() -> int:
        if scope.counts is not None:
            counted = await scope.counts.count(db, query)
            if counted is not None:
                return counted
        scope.counted_by_sql()
        where = (scope.condition, *conditions(query))
        return await db.scalar(select(func.count()).select_from(JobPosting).where(*where)) or 0

    return await _reused_or(scope, "count", query, (), compute)


MAX_HISTOGRAM_BUCKETS = 20
# Each facet lists its largest values, at most so many (a station facet could be long).
MAX_FACET_VALUES = 50


async def salary_histogram(
    db: AsyncSession, scope: Scope, query: JobQuery, bounds: list[int], currency: str
) -> list[int]:
    """How many postings of the search (under every filter but the salary's) pay, as a
    yearly figure in ``currency``, from each bound up to the next (the last: upwards);
    postings without a salary are not counted. One statement."""
    if not 1 <= len(bounds) <= MAX_HISTOGRAM_BUCKETS:
        raise BadUserInput(
            f"Give 1 to {MAX_HISTOGRAM_BUCKETS} bucket bounds.", field="salaryHistogram.bounds"
        )
    if bounds[0] < 0 or any(low >= high for low, high in itertools.pairwise(bounds)):
        raise BadUserInput(
            "The bounds must rise strictly from 0 or more.", field="salaryHistogram.bounds"
        )
    query = await normalized(db, query)

    async def compute() -> list[int]:
        if scope.counts is not None:
            counted = await scope.counts.histogram(db, query, bounds, currency)
            if counted is not None:
                return counted
        scope.counted_by_sql()
        bucket = func.width_bucket(JobPosting.salary_yearly_max, array(bounds, type_=BigInteger))
        statement = (
            select(bucket, func.count())
            .where(
                scope.condition,
                *conditions(query, leave_out="salary_at_least"),
                JobPosting.salary_currency == currency,
                JobPosting.salary_yearly_max >= bounds[0],
            )
            .group_by(bucket)
        )
        counts = [0] * len(bounds)
        for index, number in (await db.execute(statement)).all():
            counts[index - 1] = number
        return counts

    return await _reused_or(scope, "histogram", query, (*bounds, currency), compute)


FACETS = ("category", "prefecture", "nearest_station", "employment_type", "japanese_level")
# The filter (a field of JobFilter) that narrows by each facet.
FACET_FILTERS = {
    "category": "categories",
    "prefecture": "prefecture",
    "nearest_station": "nearest_station",
    "employment_type": "employment_types",
    "japanese_level": "japanese_level_at_most",
}


# A search's total, and its counts by facet: {facet: [(value, count), ...]}.
Summary: TypeAlias = tuple[int, dict[str, list[tuple[str, int]]]]


# A search's total and its counts by facet as the API's fields take them (kept with the
# facets they show, see fields.KeptCounts).
KeptSummary: TypeAlias = tuple[int, KeptCounts]


async def summary(db: AsyncSession, scope: Scope, query: JobQuery) -> KeptSummary:
    """The total and the counts by each facet for the current search, in one statement.
    The facets are disjunctive, as a filter sidebar needs them: each counts under every
    filter of the search but its own, so a chosen prefecture still shows the others."""
    query = await normalized(db, query)

    async def compute() -> KeptSummary:
        counted = None if scope.counts is None else await scope.counts.summary(db, query)
        if counted is None:
            scope.counted_by_sql()
            counted = await _summary(db, scope, query)
        total, counts = counted
        return total, KeptCounts(counts)  # its facets shown once kept (jobs/types.py)

    return await _reused_or(scope, "summary", query, (), compute)


async def _summary(db: AsyncSession, scope: Scope, query: JobQuery) -> Summary:
    """Grouping sets over the whole search count the total and the facets it does not
    filter by; each facet it filters by is counted by a branch of its own, without its
    filter (UNION ALL: still one statement). Every row reads (facet, value, count), the
    facet's index in FACETS, or -1 for the total."""
    filtered = {name for name, _ in _filter_conditions(query.filter)}
    own = [index for index, name in enumerate(FACETS) if FACET_FILTERS[name] in filtered]
    shared = [index for index in range(len(FACETS)) if index not in own]
    columns = [getattr(JobPosting, name) for name in FACETS]
    grouped = [(func.grouping(columns[index]) == 0, index) for index in shared]
    branches = [
        select(
            case(*grouped, else_=-1) if shared else literal(-1),
            case(*[(test, columns[index]) for test, index in grouped]) if shared else null(),
            func.count(),
        )
        .where(scope.condition, *conditions(query))
        .group_by(func.grouping_sets(*[tuple_(columns[index]) for index in shared], text("()")))
    ]
    for index in own:
        branches.append(
            select(literal(index), columns[index], func.count())
            .where(scope.condition, *conditions(query, leave_out=FACET_FILTERS[FACETS[index]]))
            .group_by(columns[index])
        )
    statement = branches[0] if len(branches) == 1 else union_all(*branches)
    total = 0
    facets: dict[str, list[tuple[str, int]]] = {name: [] for name in FACETS}
    for facet, value, number in (await db.execute(statement)).all():
        if facet == -1:
            total = number
        elif value is not None:
            facets[FACETS[facet]].append((value, number))
    for name in FACETS:
        facets[name].sort(key=lambda pair: (-pair[1], pair[0]))
        del facets[name][MAX_FACET_VALUES:]
    return total, facets
