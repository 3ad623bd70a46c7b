"""The facet index: a search page's total, facets and salary histogram counted in memory,
as search engines count them, instead of by rescanning the whole search in PostgreSQL for
each facet.

Per pool, each process holds its published postings as compressed bitmaps of their
numbers (``job_postings.seq``, pyroaring): one per value of each filterable column, per
tag and per company name, and the postings ordered by salary and by their dates. A
search's matching set is the intersection of its site's scope with its filters' bitmaps
(and, for a search text, the postings PostgreSQL finds for it: one statement); each facet
value's count is the size of an intersection, a few microseconds.

Exactly what SQL counts (a differential test generated with hypothesis holds both equal):
- **Which data.** An index is built from one snapshot and knows the pool's data version
  it saw there. It answers only a request whose process has heard of exactly that version
  (``RegistryCache.data_versions``); any other request is counted by SQL as before, and
  the first such request starts a new build in the background. A process that has not
  heard of a change never answers from an index built after it, nor one from before.
- **Whose data.** It is built in a transaction bound to its pool, under row-level
  security like any request's read: it cannot hold another pool's postings.
- **Which postings a site shows.** The site's scope (``search.shown_on``: its own postings
  and its feed's share of its main site's, published, not expired, confirmed within the
  stricter period) is rebuilt from the same configuration, its time conditions read on
  each request (the process's clock, where SQL reads the database's).
- **Which filters.** Each filter of ``JobFilter`` has its bitmap here; a filter this
  module does not know sends the request to SQL rather than counting it wrongly.

Memory: each index weighs its bitmaps and arrays (``FacetIndex.nbytes``, about 60 bytes a
posting), kept in the app's cache registry under ``JOBGRAPH_FACET_INDEX_MAX_MB`` with the
bitmaps made from it (site scopes, salary and date bounds, search texts), all reported at
/metrics. An index too large for its bound is not kept (SQL counts that pool)."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from operator import itemgetter
from typing import Any

from pyroaring import BitMap, FrozenBitMap
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from jobgraph import places
from jobgraph.caches import CacheEvent, Caches, CacheSpec, text_bytes
from jobgraph.db.engine import bind_pool, create_engine, session_factory
from jobgraph.fields import Counting
from jobgraph.jobs import search
from jobgraph.jobs.models import JobPosting
from jobgraph.jobs.search import FACET_FILTERS, FACETS, MAX_FACET_VALUES, JobFilter, JobQuery
from jobgraph.settings import Settings
from jobgraph.tenancy.registry import Tenant

log = logging.getLogger(__name__)

# The columns held as value -> postings, in the order the build's statement groups them.
VALUE_COLUMNS = (
    "tenant_slug",
    "category",
    "employment_type",
    "remote",
    "prefecture",
    "city",
    "nearest_station",
    "company_id",
    "visa_sponsorship",
    "japanese_level",
    "salary_currency",
)
# The columns held in order (nulls left out): microseconds since the epoch for the dates.
ORDERED_COLUMNS = {
    "salary": "salary_yearly_max",
    "published": "(extract(epoch FROM published_at) * 1000000)::bigint",
    "expires": "(extract(epoch FROM expires_at) * 1000000)::bigint",
    "confirmed": "(extract(epoch FROM coalesce(confirmed_at, published_at)) * 1000000)::bigint",
}
_PUBLISHED = "pool_id = :pool AND status = 'PUBLISHED'"


def _packed(numbers: str, order: str = "") -> str:
    """Posting numbers as PostgreSQL sends them to a build: packed, four bytes each
    (int4send), not as an array. A pool's array of a million numbers became a million
    Python ints in one decode (about 36 MB and tens of milliseconds of the event loop
    each, several per build); packed bytes become an array in one copy (``_unpacked``)."""
    ordered = f" ORDER BY {order}" if order else ""
    return f"string_agg(int4send({numbers}::int4), ''::bytea{ordered})"


_VALUES = text(
    "SELECT CASE "
    + " ".join(
        f"WHEN grouping({column}) = 0 THEN {place}" for place, column in enumerate(VALUE_COLUMNS)
    )
    + " END, coalesce("
    + ", ".join(f"{column}::text" for column in VALUE_COLUMNS)
    + f"), {_packed('seq')} FROM job_postings WHERE {_PUBLISHED} GROUP BY GROUPING SETS ("
    + ", ".join(f"({column})" for column in VALUE_COLUMNS)
    + ")"
)
_TAGS = text(
    f"SELECT tag, {_packed('seq')} FROM job_postings, unnest(tags) AS tag WHERE {_PUBLISHED} "
    "GROUP BY tag"
)
_COMPANY_NAMES = text(
    f"SELECT c.name, {_packed('p.seq')} FROM job_postings p "
    "JOIN companies c "
    "ON c.pool_id = p.pool_id AND c.id = p.company_id "
    "WHERE p.pool_id = :pool AND p.status = 'PUBLISHED' GROUP BY c.name"
)
_ORDERED = text(
    "SELECT "
    + ", ".join(
        f"(SELECT ARRAY[{_packed('seq', order='v, seq')}, "
        "string_agg(int8send(v), ''::bytea ORDER BY v, seq)] "
        f"FROM (SELECT seq, {expression} AS v FROM job_postings WHERE {_PUBLISHED}) o "
        "WHERE v IS NOT NULL)"
        for expression in ORDERED_COLUMNS.values()
    )
    + f", (SELECT {_packed('seq')} FROM job_postings WHERE "
    + _PUBLISHED
    + "), (SELECT version FROM pool_data_versions WHERE pool_id = :pool)"
)
_LAST_NUMBER = text(f"SELECT max(seq) FROM job_postings WHERE {_PUBLISHED}")
# The numbers an index holds: PostgreSQL sends them packed as int4 (see _packed).
MAX_NUMBER = 2**31 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _unpacked(kind: str, packed: bytes | None) -> array[int]:
    """Numbers PostgreSQL sent packed (int4send, int8send: big-endian), as an array of
    ``kind`` ("I": four bytes, "q": eight)."""
    numbers = array(kind)
    if packed:
        numbers.frombytes(packed)
        if sys.byteorder == "little":
            numbers.byteswap()
    return numbers


# About a millisecond of work on a bitmap's numbers between two turns of the event loop.
_NUMBERS_BETWEEN_TURNS = 200_000


async def _bitmaps(rows: Iterable[Any]) -> AsyncIterator[tuple[tuple[Any, ...], FrozenBitMap]]:
    """Each row's key (its columns but the last) and its packed numbers (the last) as a
    bitmap, the event loop let serve requests between every so many numbers: a large
    pool's values are millions of them, a tenth of a second and more in one go."""
    since = 0
    for *key, packed in rows:
        numbers = _unpacked("I", packed)
        yield tuple(key), FrozenBitMap(numbers)
        since += len(numbers)
        if since >= _NUMBERS_BETWEEN_TURNS:
            since = 0
            await asyncio.sleep(0)


def microseconds(moment: datetime) -> int:
    """A moment as the index holds dates: exact microseconds since the epoch."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True)
class Ordered:
    """Postings in the order of one value (ties by number): those at or past a bound are
    a tail of ``numbers``, those before it a head."""

    values: array[int]
    numbers: array[int]

    def at_least(self, bound: int) -> int:
        """Where the postings of value >= bound begin."""
        return bisect_left(self.values, bound)

    def above(self, bound: int) -> int:
        """Where the postings of value > bound begin."""
        return bisect_right(self.values, bound)

    @property
    def nbytes(self) -> int:
        return self.values.itemsize * len(self.values) + self.numbers.itemsize * len(self.numbers)


@dataclass
class FacetIndex:
    """One pool's published postings, as of ``version`` of its data."""

    pool_id: str
    version: int
    postings: FrozenBitMap
    # Postings with no date of confirmation or publication: never shown where listings
    # must be confirmed.
    unconfirmed: FrozenBitMap
    values: dict[str, dict[str, FrozenBitMap]]
    tags: dict[str, FrozenBitMap]
    company_names: dict[str, FrozenBitMap]
    ordered: dict[str, Ordered]
    # The postings expired by some moment, as (how many of ``ordered["expires"]``, them):
    # the clock only moves on, so each request adds the few expired since the last.
    _expired: tuple[int, FrozenBitMap] = field(default=(0, FrozenBitMap()))
    # The same for postings not confirmed since some moment, by confirmation period.
    _stale: dict[int, tuple[int, FrozenBitMap]] = field(default_factory=dict)

    @cached_property
    def nbytes(self) -> int:
        """What it holds, and room for its expired and stale sets (at most its postings
        each, for up to three confirmation periods)."""
        bitmaps = [self.postings, *self.tags.values(), *self.company_names.values()]
        bitmaps += [bitmap for by_value in self.values.values() for bitmap in by_value.values()]
        keys = [*self.tags, *self.company_names]
        keys += [value for by_value in self.values.values() for value in by_value]
        return (
            sum(bitmap.__sizeof__() for bitmap in bitmaps)
            + sum(text_bytes(key) + 64 for key in keys)
            + sum(ordered.nbytes for ordered in self.ordered.values())
            + 4 * self.postings.__sizeof__()
        )

    def value(self, column: str, value: str) -> FrozenBitMap:
        return self.values[column].get(value, EMPTY)

    def any_of(self, column: str, values: Iterable[str]) -> BitMap:
        return BitMap.union(BitMap(), *(self.value(column, value) for value in values))

    def tail(self, column: str, start: int) -> FrozenBitMap:
        """The postings of ``ordered[column]`` from ``start`` on."""
        return FrozenBitMap(self.ordered[column].numbers[start:])

    def expired_by(self, now: int) -> FrozenBitMap:
        """Postings whose expiry is at or before ``now``."""
        end = self.ordered["expires"].above(now)
        self._expired = self._grown(self._expired, "expires", end)
        return self._expired[1]

    def stale_by(self, since: int, days: int) -> FrozenBitMap:
        """Postings last confirmed at or before ``since`` (``days`` ago), or never."""
        end = self.ordered["confirmed"].above(since)
        kept = self._grown(self._stale.get(days, (0, FrozenBitMap())), "confirmed", end)
        if days not in self._stale and len(self._stale) >= 3:
            self._stale.pop(next(iter(self._stale)))
        self._stale[days] = kept
        return kept[1] | self.unconfirmed

    def _grown(
        self, kept: tuple[int, FrozenBitMap], column: str, end: int
    ) -> tuple[int, FrozenBitMap]:
        done, bitmap = kept
        numbers = self.ordered[column].numbers
        if end == done:
            return kept
        if end > done:  # the usual case: a few more since the last request
            return end, bitmap | FrozenBitMap(numbers[done:end])
        return end, FrozenBitMap(numbers[:end])  # an earlier moment (a test's)


EMPTY = FrozenBitMap()

# Each pool's index, by pool: one entry each, weighed by what it holds.
INDEXES: CacheSpec[str, FacetIndex] = CacheSpec(
    "facet_indexes",
    key="a pool (its index knows the data version it was built at)",
    max_bytes=256 * 2**20,
    weigh=lambda _pool, index: index.nbytes,
)
# What is made from an index per request and reused: the postings at or past a salary
# or date bound, a search text's matches.
DERIVED: CacheSpec[tuple[Any, ...], FrozenBitMap] = CacheSpec(
    "facet_index_sets",
    key="a pool's data version, and a bound or a search's terms",
    max_bytes=64 * 2**20,
    weigh=lambda key, bitmap: bitmap.__sizeof__() + text_bytes(str(key)),
)
# The postings each site carries (before the time conditions), by index and site.
SITE_POSTINGS: CacheSpec[tuple[str, int, int], tuple[Tenant, FrozenBitMap]] = CacheSpec(
    "facet_index_sites",
    key="a pool's data version and a site as the registry holds it",
    max_bytes=32 * 2**20,
    weigh=lambda _key, kept: kept[1].__sizeof__() + 128,
    cleared_by=(CacheEvent.SITES_CHANGED,),
)
# After a failed build, how long before a request starts another.
RETRY_AFTER_S = 30.0


class FacetIndexes:
    """Every pool's index in this process: built on demand, in the background, on a
    connection of their own (from the replica where one is configured: the version read
    in the same snapshot names what it holds), never on a request's."""

    def __init__(self, url: str, settings: Settings, caches: Caches) -> None:
        self._url = url
        # A build reads a whole pool: longer than a request's statement may run.
        self._settings = settings.model_copy(
            update={
                "db_pool_size": 1,
                "statement_timeout_ms": max(settings.statement_timeout_ms, 300_000),
            }
        )
        self._kept = caches.cache(replace(INDEXES, max_bytes=settings.facet_index_max_mb * 2**20))
        self.caches = caches
        self._engine: AsyncEngine | None = None
        self._building: dict[str, asyncio.Task[FacetIndex | None]] = {}
        self._failed_at: dict[str, float] = {}

    def current(self, pool_id: str, version: int) -> FacetIndex | None:
        """The pool's index if it holds exactly ``version`` of its data; else None, and a
        build is started unless one is under way (or has just failed), or the index kept
        is newer than ``version`` (this process will hear of it)."""
        index = self._kept.get(pool_id)
        if index is not None and index.version == version:
            return index
        if index is None or index.version < version:
            self._build_soon(pool_id)
        return None

    async def ready(self, pool_id: str, version: int) -> FacetIndex:
        """The pool's index of ``version``, built now if need be (for tests and the
        bench); an error if it cannot be (a failed build, or the pool is past it)."""
        for _attempt in range(2):
            index = self.current(pool_id, version)
            if index is not None:
                return index
            building = self._building.get(pool_id)
            if building is None:
                break
            await asyncio.shield(building)
        raise RuntimeError(f"no facet index of pool {pool_id} at data version {version}")

    def _build_soon(self, pool_id: str) -> None:
        if pool_id in self._building:
            return
        if time.monotonic() - self._failed_at.get(pool_id, -RETRY_AFTER_S) < RETRY_AFTER_S:
            return
        task = asyncio.get_running_loop().create_task(self._build(pool_id))
        self._building[pool_id] = task
        task.add_done_callback(lambda _task: self._building.pop(pool_id, None))

    async def _build(self, pool_id: str) -> FacetIndex | None:
        started = time.monotonic()
        try:
            if self._engine is None:
                self._engine = create_engine(self._url, self._settings)
            async with session_factory(self._engine)() as session:
                bind_pool(session, pool_id)
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                index = await build(session, pool_id)
        except Exception:
            log.exception("the facet index of pool %s could not be built: SQL counts", pool_id)
            self._failed_at[pool_id] = time.monotonic()
            return None
        if index is None:
            self._failed_at[pool_id] = time.monotonic()
            return None
        if not self.keep(index):
            log.warning(
                "the facet index of pool %s (%d MB) exceeds JOBGRAPH_FACET_INDEX_MAX_MB: "
                "SQL counts its facets",
                pool_id,
                index.nbytes // 2**20,
            )
            self._failed_at[pool_id] = time.monotonic()
            return None
        log.info(
            "facet index of pool %s built: version %d, %d postings, %d KB, %.0f ms",
            pool_id,
            index.version,
            len(index.postings),
            index.nbytes // 1024,
            (time.monotonic() - started) * 1000,
        )
        return index

    def keep(self, index: FacetIndex) -> bool:
        """Keep ``index`` as its pool's; False where it exceeds the bound (then none is)."""
        self._kept.put(index.pool_id, index)
        if self._kept.get(index.pool_id) is index:
            return True
        self._kept.pop(index.pool_id)
        return False

    async def close(self) -> None:
        for task in list(self._building.values()):
            task.cancel()
        await asyncio.gather(*self._building.values(), return_exceptions=True)
        if self._engine is not None:
            await self._engine.dispose()


async def build(session: AsyncSession, pool_id: str) -> FacetIndex | None:
    """The pool's index from one snapshot (the session's transaction, which must be
    REPEATABLE READ to see one); None when a posting's number is too large for it."""
    pool = {"pool": pool_id}
    last = await session.scalar(_LAST_NUMBER, pool)
    if last is not None and last > MAX_NUMBER:
        log.warning("pool %s has posting numbers past 2**31: SQL counts its facets", pool_id)
        return None
    ordered_rows = (await session.execute(_ORDERED, pool)).one()
    everything = _unpacked("I", ordered_rows[len(ORDERED_COLUMNS)])
    values: dict[str, dict[str, FrozenBitMap]] = {column: {} for column in VALUE_COLUMNS}
    async for (place, value), numbers in _bitmaps(await session.execute(_VALUES, pool)):
        if value is not None:
            values[VALUE_COLUMNS[place]][value] = numbers
    tags = {tag: numbers async for (tag,), numbers in _bitmaps(await session.execute(_TAGS, pool))}
    names = {
        name: numbers
        async for (name,), numbers in _bitmaps(await session.execute(_COMPANY_NAMES, pool))
    }
    ordered = {}
    for name, pair in zip(ORDERED_COLUMNS, ordered_rows, strict=False):
        packed, by = pair if pair is not None else (None, None)
        ordered[name] = Ordered(_unpacked("q", by), _unpacked("I", packed))
    postings = FrozenBitMap(everything)
    return FacetIndex(
        pool_id=pool_id,
        version=ordered_rows[len(ORDERED_COLUMNS) + 1] or 0,
        postings=postings,
        unconfirmed=postings - FrozenBitMap(ordered["confirmed"].numbers),
        values=values,
        tags=tags,
        company_names=names,
        ordered=ordered,
    )


# What a search matches: the index, the site's postings its text matches, and each
# filter's postings by its name in JobFilter.
Matching = tuple[FacetIndex, FrozenBitMap, dict[str, FrozenBitMap]]


class SiteCounts:
    """A site's search counts from its pool's index (``search.CountsInMemory``): each
    method answers None where the index cannot (not current, an unknown filter), and the
    caller counts with SQL."""

    def __init__(
        self,
        indexes: FacetIndexes,
        site: Tenant,
        version: int,
        now: datetime | None = None,
        counting: Counting | None = None,
    ) -> None:
        self._indexes = indexes
        self._site = site
        self._version = version
        self._now = now  # None: the clock at each request
        # Where the request's counts were worked out (the caller records its SQL).
        self._counting = counting or Counting()
        # The last query's matching sets: a page's counts and histogram ask for the same.
        self._matched: tuple[JobQuery, Matching] | None = None

    async def summary(self, db: AsyncSession, query: JobQuery) -> search.Summary | None:
        found = await self._matching(db, query)
        if found is None:
            return None
        index, base, filters = found
        everything = _all_of(base, filters.values())
        facets: dict[str, list[tuple[str, int]]] = {}
        for facet in FACETS:
            own = FACET_FILTERS[facet]
            within = (
                everything
                if own not in filters
                else _all_of(base, [bitmap for name, bitmap in filters.items() if name != own])
            )
            counted_in = within.intersection_cardinality  # once per value: hundreds a page
            counts = [
                (value, count)
                for value, bitmap in index.values[facet].items()
                if (count := counted_in(bitmap))
            ]
            # Most first, ties by value: two sorts by C's keys (a sort keeps ties' order),
            # not a Python key a value.
            counts.sort(key=_VALUE)
            counts.sort(key=_COUNT, reverse=True)
            facets[facet] = counts[:MAX_FACET_VALUES]
        return len(everything), facets

    async def count(self, db: AsyncSession, query: JobQuery) -> int | None:
        found = await self._matching(db, query)
        if found is None:
            return None
        _index, base, filters = found
        return len(_all_of(base, filters.values()))

    async def histogram(
        self, db: AsyncSession, query: JobQuery, bounds: list[int], currency: str
    ) -> list[int] | None:
        found = await self._matching(db, query)
        if found is None:
            return None
        index, base, filters = found
        within = _all_of(
            base,
            [bitmap for name, bitmap in filters.items() if name != "salary_at_least"]
            + [index.value("salary_currency", currency)],
        )
        at_least = [
            within.intersection_cardinality(self._at_least(index, "salary", bound))
            for bound in bounds
        ]
        return [here - above for here, above in zip(at_least, [*at_least[1:], 0], strict=True)]

    def in_memory(self, query: JobQuery) -> bool:
        return self._kept_matching(query) is not None

    async def _matching(self, db: AsyncSession, query: JobQuery) -> Matching | None:
        """The index, the site's postings the search text matches, and each filter's
        postings by its name in JobFilter; None where the index cannot answer."""
        found = self._kept_matching(query)
        counting = self._counting
        if found is None and query.text:
            index = self._indexes.current(self._site.pool_id, self._version)
            # No statement for a search whose filters the index cannot count.
            if index is not None and self._filters(index, query.filter) is not None:
                counting.in_database = True  # the text's matches: one statement
                found = self._kept_matching(query, await self._text(db, index, query))
        if found is not None:
            counting.in_memory = True
        return found

    def _kept_matching(self, query: JobQuery, text: FrozenBitMap | None = None) -> Matching | None:
        """``_matching`` where nothing is left to read: the search text's matches kept
        (or given), or no text; None otherwise."""
        if self._matched is not None and self._matched[0] is query:
            return self._matched[1]
        index = self._indexes.current(self._site.pool_id, self._version)
        if index is None:
            return None
        if query.text and text is None:
            text = DERIVED.get(_text_key(index, query), self._indexes.caches)
            if text is None:
                return None
        filters = self._filters(index, query.filter)
        if filters is None:
            return None
        now = microseconds(self._now or datetime.now(UTC))
        base = self._shown(index, now)
        if text is not None:
            base = base & text
        self._matched = query, (index, base, filters)
        return index, base, filters

    def _shown(self, index: FacetIndex, now: int) -> FrozenBitMap:
        """The postings the site shows at ``now`` (see ``search.shown_on``)."""
        site = self._site
        # By the site as the registry holds it (a new configuration is a new object).
        key = (index.pool_id, index.version, id(site))
        caches = self._indexes.caches
        kept = SITE_POSTINGS.get(key, caches)
        if kept is None or kept[0] is not site:
            kept = (site, FrozenBitMap(_posted_for(index, site)))
            SITE_POSTINGS.put(key, kept, caches)
        posted = kept[1]
        shown = posted - index.expired_by(now)
        days = search.confirmation_period(site)
        if days is not None:
            # Whole days of 24 hours (PostgreSQL's days follow the session's time zone:
            # the same in UTC and in Japan, which has no daylight saving).
            since = now - days * 86_400_000_000
            shown = shown - index.stale_by(since, days)
        return shown

    async def _text(self, db: AsyncSession, index: FacetIndex, query: JobQuery) -> FrozenBitMap:
        """The pool's postings a search text matches: one statement, kept per version."""
        key = _text_key(index, query)
        caches = self._indexes.caches
        found = DERIVED.get(key, caches)
        if found is None:
            text_only = replace(query, filter=JobFilter())
            numbers = await db.scalars(
                select(JobPosting.seq).where(
                    JobPosting.pool_id == search.constant(index.pool_id),
                    *search.conditions(text_only),
                )
            )
            found = FrozenBitMap(numbers.all())
            DERIVED.put(key, found, caches)
        return found

    def _at_least(self, index: FacetIndex, column: str, bound: int) -> FrozenBitMap:
        start = index.ordered[column].at_least(bound)
        key = (index.pool_id, index.version, column, start)
        caches = self._indexes.caches
        found = DERIVED.get(key, caches)
        if found is None:
            found = index.tail(column, start)
            DERIVED.put(key, found, caches)
        return found

    def _filters(self, index: FacetIndex, given: JobFilter) -> dict[str, FrozenBitMap] | None:
        """Each filter given, as the postings it keeps, by its name in JobFilter (as
        ``search._filter_conditions`` names them); None for a filter not known here."""
        found: dict[str, FrozenBitMap] = {}
        for name, value in given.chosen().items():
            keep = _FILTERS.get(name)
            if keep is None:
                return None
            kept = keep(self, index, value)
            if kept is None:
                return None
            found[name] = kept if isinstance(kept, FrozenBitMap) else FrozenBitMap(kept)
        return found


_VALUE, _COUNT = itemgetter(0), itemgetter(1)


def _text_key(index: FacetIndex, query: JobQuery) -> tuple[Any, ...]:
    return (index.pool_id, index.version, "text", query.text, query.terms)


def _posted_for(index: FacetIndex, site: Tenant) -> BitMap:
    """The postings of the pool the site carries (``search.posted_for``)."""
    own = index.value("tenant_slug", site.slug)
    feed = site.config.policy.feed
    if not site.is_partner_site or feed is None:
        return BitMap(own)
    assert site.config.parent is not None
    from_parent = BitMap(index.value("tenant_slug", site.config.parent))
    if feed.categories:
        from_parent &= index.any_of("category", feed.categories)
    if feed.prefectures:
        from_parent &= index.any_of("prefecture", feed.prefectures)
    if feed.include_companies:
        from_parent &= BitMap.union(
            BitMap(), *(index.company_names.get(name, EMPTY) for name in feed.include_companies)
        )
    if feed.exclude_companies:
        from_parent -= BitMap.union(
            BitMap(), *(index.company_names.get(name, EMPTY) for name in feed.exclude_companies)
        )
    return from_parent | own if feed.include_own_postings else from_parent


def _all_of(base: FrozenBitMap, sets: Iterable[FrozenBitMap]) -> FrozenBitMap:
    """The intersection, smallest sets first."""
    result = base
    for bitmap in sorted(sets, key=len):
        result = result & bitmap
    return result


# The postings a filter's value keeps; None where the index cannot tell.
Keep = Callable[[SiteCounts, FacetIndex, Any], Iterable[int] | None]


def _any_of(column: str) -> Keep:
    return lambda _counts, index, values: index.any_of(column, [str(value) for value in values])


def _equal(column: str, spelled: Callable[[Any], str] = str) -> Keep:
    return lambda _counts, index, value: index.value(column, spelled(value))


def _line(_counts: SiteCounts, index: FacetIndex, name: str) -> BitMap:
    line = places.line_of(name)
    stations = [station.name for station in places.stations_on(line)] if line else []
    return index.any_of("nearest_station", stations)


def _easier(_counts: SiteCounts, index: FacetIndex, level: Any) -> BitMap:
    return index.any_of("japanese_level", [str(easier) for easier in level.and_easier()])


def _every_tag(_counts: SiteCounts, index: FacetIndex, tags: list[str]) -> Iterable[int]:
    return BitMap.intersection(*(index.tags.get(tag, EMPTY) for tag in tags))


# How the index keeps each filter of JobFilter (search._filter_conditions says it in SQL).
_FILTERS: dict[str, Keep] = {
    "categories": _any_of("category"),
    "employment_types": _any_of("employment_type"),
    "remote": _any_of("remote"),
    "prefecture": _equal("prefecture"),
    "city": _equal("city"),
    "nearest_station": _equal("nearest_station"),
    "company_id": _equal("company_id"),
    "visa_sponsorship": _equal("visa_sponsorship", lambda value: str(value).lower()),
    "line": _line,
    "salary_at_least": lambda counts, index, bound: counts._at_least(index, "salary", bound),
    "japanese_level_at_most": _easier,
    "posted_since": lambda counts, index, since: (
        counts._at_least(index, "published", microseconds(since))
        # A moment without its time zone is read in the database session's: SQL decides.
        if since.tzinfo is not None
        else None
    ),
    "tags": _every_tag,
}
