"""The facet index (jobs/facet_index.py) counts exactly what SQL counts: a search's total,
its disjunctive facets and its salary histogram, under generated postings, sites and
searches; and an index answers only the data version its process has heard of."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert, select

from jobgraph import places
from jobgraph.caches import Caches
from jobgraph.db.engine import bind_pool
from jobgraph.jobs import search
from jobgraph.jobs.enums import Category, EmploymentType, JapaneseLevel, RemoteOption
from jobgraph.jobs.facet_index import FacetIndexes, SiteCounts, build
from jobgraph.jobs.models import Company, JobPosting
from jobgraph.jobs.search import JobFilter, JobQuery, SearchResults
from tests.conftest import TEST_SETTINGS
from tests.support.employers import employer_of
from tests.support.generated import against_the_app

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
PREFECTURES = ["Osaka", "Kyoto", "Tokyo", "Hyogo", "Nara"]
CITIES = ["Osaka", "Kyoto", "Shibuya", "大阪市"]
STATIONS = [station.name for station in places.STATIONS] + ["Nowhere"]
LINES = [line.name for line in places.LINES] + ["JR 東海道線", "No such line"]
TAGS = ["python", "english", "日本語", "remote-ok"]
TEXTS = [None, "engineer", "Osaka", "英語", "大阪", "python engineer", "教師", "営業 大阪", "zzqx"]
TITLES = ["Python engineer", "英語教師", "大阪 営業", "Data engineer in Osaka", "日本語 teacher"]


def _moment(days: float | None) -> datetime | None:
    return None if days is None else NOW + timedelta(days=days)


def _days(low: int, high: int):
    return st.none() | st.integers(low * 24, high * 24).map(lambda hours: hours / 24)


def postings(companies: list[uuid.UUID]):
    salary = st.none() | st.integers(1, 60).map(lambda step: step * 250_000)
    return st.lists(
        st.fixed_dictionaries(
            {
                "tenant_slug": st.sampled_from(["jobboard", "kansai-jobs"]),
                "company_id": st.sampled_from(companies),
                "title": st.sampled_from(TITLES),
                "description": st.sampled_from(["Work.", "大阪で働く", "Osaka office, python"]),
                "category": st.sampled_from([str(value) for value in Category]),
                "employment_type": st.sampled_from([str(value) for value in EmploymentType]),
                "remote": st.sampled_from([str(value) for value in RemoteOption]),
                "prefecture": st.none() | st.sampled_from(PREFECTURES),
                "city": st.none() | st.sampled_from(CITIES),
                "nearest_station": st.none() | st.sampled_from(STATIONS),
                "salary_max": salary,
                "salary_currency": st.sampled_from(["JPY", "JPY", "USD"]),
                "salary_period": st.sampled_from(["YEAR", "MONTH"]),
                "japanese_level": st.sampled_from([str(value) for value in JapaneseLevel]),
                "visa_sponsorship": st.booleans(),
                "tags": st.lists(st.sampled_from(TAGS), max_size=3),
                "status": st.sampled_from(["PUBLISHED", "PUBLISHED", "DRAFT", "CLOSED"]),
                "published_at": _days(-400, 0).map(_moment),
                "expires_at": _days(-5, 5).map(_moment),
                "confirmed_at": _days(-90, 0).map(_moment),
            }
        ),
        max_size=25,
    )


def filters(companies: list[uuid.UUID]):
    """Up to three filters at once (more leave nothing to count)."""

    def subset(values):
        return st.lists(st.sampled_from(list(values)), min_size=1, max_size=2, unique=True)

    choices = {
        "categories": subset(Category),
        "employment_types": subset(EmploymentType),
        "remote": subset(RemoteOption),
        "prefecture": st.sampled_from(PREFECTURES),
        "city": st.sampled_from(CITIES),
        "nearest_station": st.sampled_from(STATIONS),
        "line": st.sampled_from(LINES),
        "salary_at_least": st.sampled_from([0, 3_000_000, 4_500_000, 8_000_000]),
        "japanese_level_at_most": st.sampled_from(list(JapaneseLevel)),
        "visa_sponsorship": st.booleans(),
        "company_id": st.sampled_from(companies),
        "posted_since": st.integers(-200 * 24, 0).map(lambda hours: _moment(hours / 24)),
        "tags": st.lists(st.sampled_from(TAGS), min_size=1, max_size=2),
    }

    @st.composite
    def some(draw):
        names = draw(st.lists(st.sampled_from(sorted(choices)), max_size=3, unique=True))
        return JobFilter(**{name: draw(choices[name]) for name in names})

    return some()


def searches(companies: list[uuid.UUID]):
    return st.builds(JobQuery, text=st.sampled_from(TEXTS), filter=filters(companies))


def sites(registry, names: list[str]):
    """The demo's sites, with the partner's feed and both confirmation periods generated."""
    main, partner = registry.get("jobboard"), registry.get("kansai-jobs")
    periods = st.none() | st.integers(1, 60)

    def partner_site(feed, own_period, main_period):
        policy = partner.policy.model_copy(
            update={"feed": feed, "confirm_listings_every_days": own_period}
        )
        return replace(
            partner,
            config=partner.config.model_copy(update={"policy": policy}),
            parent_policy=main.policy.model_copy(
                update={"confirm_listings_every_days": main_period}
            ),
        )

    feeds = st.builds(
        lambda categories, prefectures, include, exclude, own: partner.policy.feed.model_copy(
            update={
                "categories": categories,
                "prefectures": prefectures,
                "include_companies": include,
                "exclude_companies": exclude,
                "include_own_postings": own,
            }
        ),
        st.lists(st.sampled_from([str(value) for value in Category]), max_size=2),
        st.lists(st.sampled_from(PREFECTURES), max_size=2),
        st.lists(st.sampled_from(names), max_size=2),
        st.lists(st.sampled_from(names), max_size=1),
        st.booleans(),
    )
    main_sites = periods.map(
        lambda days: replace(
            main,
            config=main.config.model_copy(
                update={
                    "policy": main.policy.model_copy(update={"confirm_listings_every_days": days})
                }
            ),
        )
    )
    return st.lists(
        main_sites | st.builds(partner_site, feeds, periods, periods), min_size=1, max_size=3
    )


class Pool:
    """The demo pool's companies, the registry, and an index holder (read once)."""

    known: dict = {}


@against_the_app(60)
@given(data=st.data())
async def test_the_index_counts_what_sql_counts(api, data):
    services = api.app.state.services
    if Pool.known.get("api") is not api:
        registry = await services.registry.current()
        async with services.sessions() as session:
            bind_pool(session, registry.get("jobboard").pool_id)
            rows = (await session.execute(select(Company.id, Company.name))).all()
        Pool.known = {"api": api, "registry": registry, "companies": rows}
    registry, rows = Pool.known["registry"], Pool.known["companies"]
    companies = [row.id for row in rows]
    names = sorted({row.name for row in rows})
    pool = registry.get("jobboard").pool_id
    generated = data.draw(postings(companies), label="postings")
    site_list = data.draw(sites(registry, names), label="sites")
    queries = data.draw(st.lists(searches(companies), min_size=1, max_size=8), label="searches")
    bounds = data.draw(
        st.lists(st.sampled_from([0, 2_000_000, 3_000_000, 5_000_000, 9_000_000]), min_size=1)
        .map(sorted)
        .map(lambda values: sorted(set(values))),
        label="bounds",
    )
    indexes = FacetIndexes("", TEST_SETTINGS, Caches())  # holds the index built below
    async with services.sessions() as session:
        bind_pool(session, pool)
        try:
            rows = [posting | {"pool_id": pool, "salary_min": None} for posting in generated]
            if rows:
                await session.execute(insert(JobPosting).values(rows))
            index = await build(session, pool)
            assert index is not None and indexes.keep(index)
            for site in site_list:
                counts = SiteCounts(indexes, site, index.version, now=NOW)
                for query in queries:
                    query = await search.normalized(session, query)
                    scope = search.shown_on(site, NOW)
                    described = (site.slug, query)
                    assert await counts.summary(session, query) == await search.summary(
                        session, scope, query
                    ), described
                    assert await counts.count(session, query) == await search.count(
                        session, scope, query
                    ), described
                    for currency in ("JPY", "USD"):
                        assert await counts.histogram(
                            session, query, bounds, currency
                        ) == await search.salary_histogram(
                            session, scope, query, bounds, currency
                        ), (described, currency)
        finally:
            await session.rollback()


def metric_of(text: str, name: str, cache: str) -> float:
    for line in text.splitlines():
        if line.startswith(f'{name}{{cache="{cache}"}} '):
            return float(line.split()[1])
    raise AssertionError(f"/metrics has no {name} for {cache}")


SIDEBAR = """{ jobs(first: 1, filter: {prefecture: "Nara"}) { totalCount
  facets { category { value count } employmentType { value count } } } }"""


async def test_another_process_counts_a_change_from_the_moment_it_hears_of_it(database, serve):
    """The reader's index holds the data before the change: once the reader hears of the
    change, SQL counts its next request (never the stale index), and the rebuilt index
    counts the same."""
    async with serve(database) as writer, serve(database) as reader:
        await reader.data(SIDEBAR, tenant="jobboard")
        await reader.indexed()
        indexes = reader.app.state.services.facet_indexes
        pool = (await reader.app.state.services.registry.current()).get("jobboard").pool_id
        old = indexes.current(pool, reader.app.state.services.registry.data_versions[pool])
        before = (await reader.data(SIDEBAR, tenant="jobboard"))["jobs"]

        employer = await employer_of(writer, "jobboard")
        job = await employer.post(publish=False, title="Nara teacher", prefecture="Nara",
                                  category="TEACHING")  # fmt: skip
        async with reader.announced():
            await writer.data(
                "mutation($id: ID!) { publishJob(id: $id) { id } }",
                {"id": job},
                tenant="jobboard",
                token=employer.token,
            )
        heard = (await reader.data(SIDEBAR, tenant="jobboard"))["jobs"]
        assert heard["totalCount"] == before["totalCount"] + 1
        teaching = {item["value"]: item["count"] for item in heard["facets"]["category"]}
        was = {item["value"]: item["count"] for item in before["facets"]["category"]}
        assert teaching["TEACHING"] == was.get("TEACHING", 0) + 1

        await reader.indexed()
        new = indexes.current(pool, reader.app.state.services.registry.data_versions[pool])
        assert new is not None and new.version > old.version
        reader.app.state.services.search_results = SearchResults()
        statements = reader.statements.count
        assert (await reader.data(SIDEBAR, tenant="jobboard"))["jobs"] == heard
        assert reader.statements.count - statements == 1, "the page alone: no count"


async def test_the_indexes_memory_is_bounded_and_reported_at_metrics(api):
    await api.data(SIDEBAR, tenant="jobboard")
    await api.indexed()
    # A search text's matches and a partner's scope are kept beside the index.
    await api.data('{ jobs(search: "engineer") { totalCount } }', tenant="kansai-jobs")
    metrics = (
        await api.http.get("/metrics", headers={"Authorization": "Bearer test-metrics-token"})
    ).text
    held = metric_of(metrics, "jobgraph_cache_bytes", "facet_indexes")
    bound = metric_of(metrics, "jobgraph_cache_max_bytes", "facet_indexes")
    assert 0 < held <= bound == TEST_SETTINGS.facet_index_max_mb * 2**20
    assert metric_of(metrics, "jobgraph_cache_entries", "facet_indexes") == len(
        (await api.app.state.services.registry.current()).pools()
    )
    assert metric_of(metrics, "jobgraph_cache_bytes", "facet_index_sets") > 0


async def test_two_configurations_of_one_site_count_each_its_own_share(api):
    """A site's share is kept by the site as the registry holds it, not by its name and
    version (which a configuration made elsewhere, as here, may repeat)."""
    services = api.app.state.services
    registry = await services.registry.current()
    main, partner = registry.get("jobboard"), registry.get("kansai-jobs")
    indexes = FacetIndexes("", TEST_SETTINGS, Caches())
    async with services.sessions() as session:
        bind_pool(session, main.pool_id)
        names = (await session.scalars(select(Company.name).limit(1))).all()
        index = await build(session, main.pool_id)
        assert index is not None and indexes.keep(index)
        for exclude in ([], names):
            feed = partner.policy.feed.model_copy(
                update={"prefectures": [], "exclude_companies": exclude}
            )
            policy = partner.policy.model_copy(update={"feed": feed})
            site = replace(partner, config=partner.config.model_copy(update={"policy": policy}))
            counted = await SiteCounts(indexes, site, index.version, now=NOW).count(
                session, JobQuery()
            )
            assert counted == await search.count(session, search.shown_on(site, NOW), JobQuery())
