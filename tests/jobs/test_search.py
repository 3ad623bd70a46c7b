"""The search partner sites embed: syndication, Japanese and English text, filters, sorts,
keyset pages, facets and the statements a page costs."""

import asyncio
import base64
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import true

from jobgraph.fields import Counting
from jobgraph.jobs.search import JobFilter, Scope, SearchResults
from tests.conftest import TEST_SETTINGS, database_name, error_code
from tests.support.employers import employer_of

SEARCH = """query($search: String, $filter: JobFilterInput, $sort: JobSort, $first: Int,
                  $after: String) {
  jobs(search: $search, filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount
    edges { cursor node { id title category employmentType japaneseLevel visaSponsorship
            location { prefecture city nearestStation } salary { min max } tags
            publishedAt company { id name } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def jobs(api, tenant="jobboard", **variables):
    return (await api.data(SEARCH, variables, tenant=tenant))["jobs"]


async def all_titles(api, tenant, **variables):
    result = await jobs(api, tenant, first=30, **variables)
    return [edge["node"]["title"] for edge in result["edges"]], result["totalCount"]


async def test_the_partner_site_shows_its_feed_share_and_its_own_postings_only(api, employer):
    await employer.post(title="Quokka trainer one", prefecture="Osaka")  # in the feed
    await employer.post(title="Quokka trainer two", prefecture="Fukuoka")  # not in it
    partner = await employer_of(api, "kansai-jobs")
    await partner.post(title="Quokka trainer three", prefecture="Tokyo")  # its own
    community = await employer_of(api, "community")
    await community.post(title="Quokka trainer four", prefecture="Osaka")  # another pool

    assert (await all_titles(api, "kansai-jobs", search="quokka", sort="NEWEST"))[0] == [
        "Quokka trainer three",
        "Quokka trainer one",
    ]
    assert (await all_titles(api, "jobboard", search="quokka", sort="NEWEST"))[0] == [
        "Quokka trainer two",
        "Quokka trainer one",
    ]
    assert (await all_titles(api, "community", search="quokka"))[0] == ["Quokka trainer four"]


async def test_the_main_site_does_not_show_other_tenants_postings(api):
    community = await employer_of(api, "community")
    await community.post(title="Community only guide")
    assert (await all_titles(api, "community", search="community only guide"))[1] == 1
    assert (await all_titles(api, "jobboard", search="community only guide"))[1] == 0
    assert (await all_titles(api, "kansai-jobs", search="community only guide"))[1] == 0


async def test_changing_the_feed_policy_changes_the_partner_at_once(api, employer, reconfigure):
    await employer.post(title="Wombat groomer", prefecture="Kyoto")
    assert (await all_titles(api, "kansai-jobs", search="wombat"))[0] == ["Wombat groomer"]
    await reconfigure({"kansai-jobs": {"policy": {"feed": {"prefectures": ["Osaka"]}}}})
    assert (await all_titles(api, "kansai-jobs", search="wombat"))[0] == []


async def test_japanese_text_is_found_without_spaces(api, employer):
    await employer.post(title="東京本社の日本語教師", description="渋谷駅から徒歩五分。")
    await employer.post(title="大阪の営業", description="日本語と英語を使う仕事です。")
    titles, _ = await all_titles(api, "jobboard", search="日本語")
    assert {"東京本社の日本語教師", "大阪の営業"} <= set(titles)
    titles, _ = await all_titles(api, "jobboard", search="東京")
    assert "東京本社の日本語教師" in titles and "大阪の営業" not in titles
    titles, _ = await all_titles(api, "jobboard", search="渋谷駅")
    assert titles == ["東京本社の日本語教師"]
    # Full-width letters and case do not matter.
    await employer.post(title="ＰＹＴＨＯＮエンジニア")
    assert "ＰＹＴＨＯＮエンジニア" in (await all_titles(api, "jobboard", search="python"))[0]


async def test_english_search_ranks_title_matches_first(api, employer):
    await employer.post(title="Zebra keeper", description="Care for animals.")
    await employer.post(title="Office assistant", description="Help our zebra keeper team.")
    titles, _ = await all_titles(api, "jobboard", search="zebra keeper", sort="RELEVANCE")
    assert titles[:2] == ["Zebra keeper", "Office assistant"]
    # Every term must match: none matches both, so the search is broadened, and says so.
    broadened = (
        await api.data(
            '{ jobs(search: "zebra astronaut", first: 30) { broadened { droppedTerm } '
            "edges { node { title } } } }",
            tenant="jobboard",
        )
    )["jobs"]
    assert broadened["broadened"] == {"droppedTerm": "astronaut"}
    assert {edge["node"]["title"] for edge in broadened["edges"]} == {
        "Zebra keeper",
        "Office assistant",
    }


async def test_the_company_name_is_searchable(api, employer):
    await employer.post(title="Lorikeet handler")
    titles, _ = await all_titles(api, "jobboard", search=f"{employer.company_name} lorikeet")
    assert titles == ["Lorikeet handler"]


@pytest.mark.parametrize(
    ("filter", "check"),
    [
        ({"categories": ["TEACHING"]}, lambda node: node["category"] == "TEACHING"),
        (
            {"employmentTypes": ["PART_TIME", "CONTRACT"]},
            lambda node: node["employmentType"] in ("PART_TIME", "CONTRACT"),
        ),
        (
            {"prefecture": "Osaka", "city": "Osaka"},
            lambda node: node["location"]["prefecture"] == "Osaka",
        ),
        (
            {"nearestStation": "Shibuya"},
            lambda node: node["location"]["nearestStation"] == "Shibuya",
        ),
        ({"salaryAtLeast": 7000000}, lambda node: node["salary"]["max"] >= 7000000),
        ({"japaneseLevelAtMost": "N4"}, lambda node: node["japaneseLevel"] in ("NONE", "N5", "N4")),
        ({"visaSponsorship": True}, lambda node: node["visaSponsorship"] is True),
        ({"tags": ["python", "startup"]}, lambda node: {"python", "startup"} <= set(node["tags"])),
        ({"postedSince": "2026-10-15T00:00:00Z"}, lambda node: node["publishedAt"] >= "2026-10-15"),
    ],
)
async def test_each_filter_keeps_only_what_matches(api, filter, check):
    result = await jobs(api, "jobboard", filter=filter, first=50)
    everything = (await jobs(api, "jobboard", first=1))["totalCount"]
    assert 0 < result["totalCount"] < everything, filter
    assert all(check(edge["node"]) for edge in result["edges"]), filter


async def test_the_company_filter(api, employer):
    result = await jobs(api, "jobboard", filter={"companyId": employer.company_id}, first=50)
    assert result["totalCount"] > 0
    assert {edge["node"]["company"]["id"] for edge in result["edges"]} == {employer.company_id}


async def test_sorting_by_newest_and_by_salary(api):
    newest = await jobs(api, "jobboard", sort="NEWEST", first=50)
    dates = [edge["node"]["publishedAt"] for edge in newest["edges"]]
    assert dates == sorted(dates, reverse=True)
    by_salary = await jobs(api, "jobboard", sort="SALARY", first=50)
    salaries = [edge["node"]["salary"]["max"] or -1 for edge in by_salary["edges"]]
    assert salaries == sorted(salaries, reverse=True)


@pytest.mark.parametrize("sort", ["NEWEST", "SALARY", "RELEVANCE"])
async def test_keyset_pages_cover_everything_once_and_survive_inserts(api, employer, sort):
    search = "engineer" if sort == "RELEVANCE" else None
    first_page = await jobs(api, "jobboard", sort=sort, search=search, first=7)
    total = first_page["totalCount"]
    await employer.post(title="Engineer posted while paging", salaryMin=1, salaryMax=2)
    seen = [edge["node"]["id"] for edge in first_page["edges"]]
    after = first_page["pageInfo"]["endCursor"]
    while after:
        # A cursor is a URL's word: only characters a URL never escapes (RFC 3986).
        assert re.fullmatch(r"[A-Za-z0-9._~-]+", after), after
        page = await jobs(api, "jobboard", sort=sort, search=search, first=7, after=after)
        seen += [edge["node"]["id"] for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    assert len(seen) == len(set(seen)), "no posting twice"
    assert len(seen) in (total, total + 1), "none skipped (the new one may sort in later)"


async def test_cursors_given_out_by_earlier_versions_still_page(api):
    first = await jobs(api, "jobboard", sort="NEWEST", first=5)
    last = first["edges"][-1]["node"]
    published = datetime.fromisoformat(last["publishedAt"])
    micros = (published - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    # As cursors were written before: base64 of a JSON list of the publication time (as
    # ISO text, later as microseconds since 1970) and the id.
    earlier = [
        base64.urlsafe_b64encode(orjson.dumps([when, last["id"]])).decode()
        for when in (last["publishedAt"], micros)
    ]
    after_new = await jobs(
        api, "jobboard", sort="NEWEST", first=5, after=first["pageInfo"]["endCursor"]
    )
    assert len(after_new["edges"]) == 5
    for before in earlier:
        assert before != first["pageInfo"]["endCursor"]
        after_old = await jobs(api, "jobboard", sort="NEWEST", first=5, after=before)
        assert [edge["node"]["id"] for edge in after_old["edges"]] == [
            edge["node"]["id"] for edge in after_new["edges"]
        ]


async def test_page_size_is_capped_by_the_tenant_policy(api):
    body = await api.graphql(SEARCH, {"first": 31}, tenant="community")
    assert error_code(body) == "BAD_USER_INPUT"
    assert "between 1 and 30" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["field"] == "first"
    assert len((await jobs(api, "community", first=30))["edges"]) == 30


@pytest.mark.parametrize(
    "forged",
    [
        "bm90IGEgY3Vyc29y",  # base64 of no JSON
        base64.urlsafe_b64encode(b'[{"a": 1}, 2]').decode(),  # JSON of other values
        "1793259120000000~not-an-id",
        "~",
        "1~2~7e5f8a52-6f3f-4bd5-9a34-11f3e25f7a10",  # a cursor of another sort
        "2026-01-01~7e5f8a52-6f3f-4bd5-9a34-11f3e25f7a10",
    ],
)
async def test_a_forged_cursor_is_a_clear_error(api, forged):
    body = await api.graphql(SEARCH, {"after": forged}, tenant="jobboard")
    assert error_code(body) == "BAD_USER_INPUT", body
    assert body["errors"][0]["extensions"]["field"] == "after"


FACETS = """query($search: String, $filter: JobFilterInput) {
  jobs(search: $search, filter: $filter, first: 1) { totalCount facets {
    category { value count } prefecture { value count } employmentType { value count }
    japaneseLevel { value count } } } }"""


async def test_facets_count_the_current_search(api):
    result = (await api.data(FACETS, {"filter": {"categories": ["TEACHING"]}}, tenant="jobboard"))[
        "jobs"
    ]
    facets = result["facets"]
    for name in ("employmentType", "japaneseLevel", "prefecture"):
        assert sum(item["count"] for item in facets[name]) == result["totalCount"]
    osaka = next(item for item in facets["prefecture"] if item["value"] == "Osaka")
    narrowed = await jobs(
        api, "jobboard", filter={"categories": ["TEACHING"], "prefecture": "Osaka"}, first=1
    )
    assert narrowed["totalCount"] == osaka["count"]


async def test_a_facet_counts_under_every_filter_but_its_own(api):
    """Drill-down: choosing Osaka and TEACHING still lists the other prefectures (for
    TEACHING) and the other categories (in Osaka), each with what choosing it would find."""
    chosen = {"categories": ["TEACHING"], "prefecture": "Osaka"}
    result = (await api.data(FACETS, {"filter": chosen}, tenant="jobboard"))["jobs"]
    facets = result["facets"]
    assert len(facets["prefecture"]) > 1 and len(facets["category"]) > 1
    for item in facets["prefecture"]:
        found = await jobs(api, "jobboard", filter={**chosen, "prefecture": item["value"]}, first=1)
        assert found["totalCount"] == item["count"], item
    for item in facets["category"]:
        found = await jobs(
            api, "jobboard", filter={**chosen, "categories": [item["value"]]}, first=1
        )
        assert found["totalCount"] == item["count"], item
    # A facet the search does not filter by counts the whole result.
    assert sum(item["count"] for item in facets["employmentType"]) == result["totalCount"]
    osaka = next(item for item in facets["prefecture"] if item["value"] == "Osaka")
    teaching = next(item for item in facets["category"] if item["value"] == "TEACHING")
    assert osaka["count"] == teaching["count"] == result["totalCount"]


async def test_job_and_company_pages_and_similar_jobs(api, employer):
    job_id = await employer.post(title="Page test job", category="TEACHING", prefecture="Kyoto")
    query = """query($id: ID!) { job(id: $id) { title company { name openJobs { id } }
               similarJobs(first: 3) { id category } } }"""
    job = (await api.data(query, {"id": job_id}, tenant="jobboard"))["job"]
    assert job["title"] == "Page test job" and job["company"]["name"] == employer.company_name
    assert job_id in [item["id"] for item in job["company"]["openJobs"]]
    assert job["similarJobs"] and {item["category"] for item in job["similarJobs"]} == {"TEACHING"}
    assert job_id not in [item["id"] for item in job["similarJobs"]]
    # Not shown on another pool's site, nor on the partner (Kyoto is in its feed, but the
    # posting's company must be present too: it is, so the partner shows it).
    assert (await api.data(query, {"id": job_id}, tenant="community"))["job"] is None
    company = """query($id: ID!) { company(id: $id) { name } }"""
    assert (await api.data(company, {"id": employer.company_id}, tenant="community"))[
        "company"
    ] is None


async def warm_registry(api, tenant: str, search: str | None = None) -> None:
    """This process has read the tenant registry (and normalised the search text), its
    facet indexes are current (where it has them), and it keeps no search results: the
    next search runs all its statements."""
    await api.data("{ tenant { branding { siteName } } }", tenant=tenant)
    if search:
        await api.data(
            "query($s: String) { jobs(first: 1, search: $s) { edges { cursor } } }",
            {"s": search},
            tenant=tenant,
        )
    await api.indexed()
    api.app.state.services.search_results = SearchResults()


@pytest.fixture(params=["index", "sql"])
async def counted_by(request, database, serve):
    """The app, its counts (totals, facets, histograms) made by its facet index once
    current, or by SQL (JOBGRAPH_FACET_INDEX_MAX_MB=0): (the app, which)."""
    settings = TEST_SETTINGS
    if request.param == "sql":
        settings = TEST_SETTINGS.model_copy(update={"facet_index_max_mb": 0})
    async with serve(database, settings) as served:
        yield served, request.param


async def test_a_search_page_costs_the_same_statements_for_10_and_50_results(counted_by):
    api, counter = counted_by
    query = """query($first: Int) { jobs(first: $first) { totalCount
      edges { node { id title tags company { id name } } } pageInfo { hasNextPage } } }"""
    counts = {}
    for first in (10, 50):
        await warm_registry(api, "jobboard")
        before = api.statements.count
        data = await api.data(query, {"first": first}, tenant="jobboard")
        assert len(data["jobs"]["edges"]) == first
        counts[first] = api.statements.count - before
    # the page (with its companies) read alone, its count from memory; or, by SQL, the
    # transaction's pool setting, the page and its count
    expected = 1 if counter == "index" else 3
    assert counts == {10: expected, 50: expected}


async def test_a_full_search_page_with_total_and_facets_costs_three_statements(counted_by):
    api, counter = counted_by
    query = """query($first: Int) { jobs(first: $first, search: "Osaka") { totalCount
      edges { node { id title tags company { id name } } } pageInfo { hasNextPage }
      ...Sidebar } }
      fragment Sidebar on JobConnection { facets { category { value count }
      prefecture { value count } } }"""
    counts, totals = {}, {}
    for first in (5, 30):
        await warm_registry(api, "jobboard", search="Osaka")
        before = api.statements.count
        data = (await api.data(query, {"first": first}, tenant="jobboard"))["jobs"]
        counts[first] = api.statements.count - before
        totals[first] = data["totalCount"]
        assert sum(value["count"] for value in data["facets"]["category"]) == data["totalCount"]
    assert totals[5] == totals[30] > 5
    # pool setting, page with its companies, and SQL's total and facets together; or the
    # postings the text matches, which the index intersects and keeps while the data is
    # unchanged: the same text at another page size needs them no more, and its page is
    # then read alone
    assert counts == ({5: 3, 30: 1} if counter == "index" else {5: 3, 30: 3})


async def test_a_drill_down_page_with_facets_and_histogram_costs_constant_statements(counted_by):
    """Filters on two facets (so both count without their own filter) and a salary
    histogram: still a constant number of statements, whatever the page size; none beyond
    the page's own where the facet index counts."""
    api, counter = counted_by
    query = """query($first: Int) { jobs(first: $first,
        filter: {prefecture: "Osaka", categories: [TEACHING]}) { totalCount
      edges { node { id title company { name } } }
      facets { category { value count } prefecture { value count }
               nearestStation { value count } line { value count } }
      salaryHistogram(bounds: [0, 3000000, 5000000]) { count } } }"""
    counts = {}
    for first in (5, 30):
        await warm_registry(api, "jobboard")
        before = api.statements.count
        data = (await api.data(query, {"first": first}, tenant="jobboard"))["jobs"]
        counts[first] = api.statements.count - before
        assert len(data["facets"]["prefecture"]) > 1 and len(data["facets"]["category"]) > 1
    # the page with its companies read alone, every count from memory; or by SQL: the
    # pool setting, the page, total and facets together, the histogram
    expected = 1 if counter == "index" else 4
    assert counts == {5: expected, 30: expected}


async def test_the_benchmarked_partner_page_costs_one_statement_whatever_its_size(api):
    from bench.servers import QUERY

    counts = {}
    for first in (5, 50):
        query = QUERY.replace("first: 50", f"first: {first}")
        await warm_registry(api, "kansai-jobs")
        before = api.statements.count
        data = await api.data(query, tenant="kansai-jobs")
        assert len(data["jobs"]["edges"]) == first
        assert all(edge["node"]["company"]["name"] for edge in data["jobs"]["edges"])
        counts[first] = api.statements.count - before
    # the page with its companies, read alone (its connection's pool set apart: db/driver.py)
    assert counts == {5: 1, 50: 1}


async def test_lists_under_each_posting_cost_one_statement_per_level(api):
    query = """query($first: Int) { jobs(first: $first, sort: NEWEST) { edges { node { id
      similarJobs(first: 3) { id category company { id openJobs(first: 2) { id } } } } } } }"""
    counts = {}
    for first in (2, 20):
        await warm_registry(api, "jobboard")
        before = api.statements.count
        data = await api.data(query, {"first": first}, tenant="jobboard")
        counts[first] = api.statements.count - before
        postings = [edge["node"] for edge in data["jobs"]["edges"]]
        assert len(postings) == first
        for posting in postings:
            similar = posting["similarJobs"]
            assert len(similar) == 3 and posting["id"] not in {s["id"] for s in similar}
            assert all(len(s["company"]["openJobs"]) <= 2 for s in similar)
    # pool setting, page, similar jobs, their companies, their open jobs
    assert counts == {2: 5, 20: 5}


async def test_similar_and_open_jobs_match_what_one_posting_alone_shows(api):
    page = await api.data(
        "{ jobs(first: 8, sort: NEWEST) { edges { node { id } } } }", tenant="jobboard"
    )
    ids = [edge["node"]["id"] for edge in page["jobs"]["edges"]]
    one = """query($id: ID!) { job(id: $id) { similarJobs(first: 4) { id }
      company { openJobs(first: 3) { id } } } }"""
    alone = [(await api.data(one, {"id": i}, tenant="jobboard"))["job"] for i in ids]
    together = await api.data(
        "{ jobs(first: 8, sort: NEWEST) { edges { node { similarJobs(first: 4) { id }"
        " company { openJobs(first: 3) { id } } } } } }",
        tenant="jobboard",
    )
    assert [edge["node"] for edge in together["jobs"]["edges"]] == alone


async def test_a_repeated_search_is_answered_from_kept_results_until_the_data_changes(
    api, employer
):
    query = """{ jobs(first: 10, search: "engineer") { totalCount
      edges { node { id title } } facets { category { value count } } } }"""
    first = await api.data(query, tenant="jobboard")
    before = api.statements.count
    assert await api.data(query, tenant="jobboard") == first
    assert api.statements.count - before == 0, "no statement at all"
    # Kept per site: the partner site's own search is its own.
    partner = await api.data(query, tenant="kansai-jobs")
    assert partner["jobs"]["totalCount"] <= first["jobs"]["totalCount"]

    # A new posting changes the pool's data version: the next search sees it at once.
    job_id = await employer.post(title="Senior engineer, harbour systems")
    after = (await api.data(query, tenant="jobboard"))["jobs"]
    assert after["totalCount"] == first["jobs"]["totalCount"] + 1
    assert job_id in [edge["node"]["id"] for edge in after["edges"]]


async def test_a_new_search_asked_by_many_at_once_runs_its_statements_once(
    api, database, database_server
):
    query = (
        "query($c: Category!) { jobs(first: 5, filter: {categories: [$c]}) "
        "{ edges { node { id } } } }"
    )
    await warm_registry(api, "jobboard")
    before = api.statements.count
    await api.data(query, {"c": "SALES"}, tenant="jobboard")
    alone = api.statements.count - before
    # Told when all five requests have found the search's results missing.
    results, missing, all_missed = api.app.state.services.search_results, [], asyncio.Event()
    work_out = results.computed

    async def computed(key, compute):
        missing.append(key)
        if len(missing) == 5:
            all_missed.set()
        return await work_out(key, compute)

    results.computed = computed
    # The postings locked by the admin: the first request's page waits in PostgreSQL
    # until all five have asked.
    admin = await database_server.admin(database_name(database))
    try:
        locked = admin.transaction()
        await locked.start()
        await admin.execute("LOCK TABLE job_postings IN ACCESS EXCLUSIVE MODE")
        before = api.statements.count
        asked = [
            asyncio.create_task(api.data(query, {"c": "ENGINEERING"}, tenant="jobboard"))
            for _ in range(5)
        ]
        await asyncio.wait_for(all_missed.wait(), timeout=30)
        await locked.rollback()
    finally:
        await admin.close()
    answers = await asyncio.gather(*asked)
    assert all(answer == answers[0] for answer in answers) and answers[0]["jobs"]["edges"]
    assert api.statements.count - before == alone


async def test_a_listing_leaves_the_descriptions_in_the_database_until_asked(api):
    sent = api.statements.recent
    sent.clear()
    await api.data("{ jobs(first: 5) { edges { node { id title company { name } } } } }",
                   tenant="jobboard")  # fmt: skip
    listing = list(sent)
    sent.clear()
    shown = await api.data(
        "{ jobs(first: 5) { edges { node { description company { description } } } } }",
        tenant="jobboard",
    )
    assert any("job_postings.title" in statement for statement in listing)
    assert not any("description" in statement for statement in listing)
    assert any("job_postings.description" in statement for statement in sent)
    nodes = [edge["node"] for edge in shown["jobs"]["edges"]]
    assert all(node["description"] and node["company"]["description"] for node in nodes)


def _selection(graphql_type, depth=0):
    """Every leaf below an object type, as a selection (for the reads test)."""
    from graphql import get_named_type, is_leaf_type

    named = get_named_type(graphql_type)
    if is_leaf_type(named):
        return ""
    fields = [
        f"{name} {_selection(field.type, depth + 1)}"
        for name, field in named.fields.items()
        if not field.args and (is_leaf_type(get_named_type(field.type)) or depth < 3)
    ]
    return "{ " + " ".join(fields) + " }"


def _derived_fields(type_name):
    from jobgraph.fields import DERIVED
    from jobgraph.graphql.schema import schema

    graphql_type = schema._schema.get_type(type_name)
    for name, field in graphql_type.fields.items():
        definition = field.extensions["strawberry-definition"]
        if DERIVED in (definition.metadata or {}):
            yield name, _selection(field.type)


@pytest.mark.parametrize(
    ("path", "field", "selection"),
    [("node", *found) for found in _derived_fields("Job")]
    + [("node { company", *found) for found in _derived_fields("Company")],
)
async def test_a_page_reads_the_columns_each_field_declares(api, path, field, selection):
    """A page reads only the columns its fields declare (``derived(...)``): each field
    shows the same whether the page read its declared columns or every column (jsonLd
    reads the row at will, so asking for it reads everything)."""
    closing = " }" if "{" in path else ""
    narrow = (
        f"{{ jobs(first: 30, sort: NEWEST) {{ edges {{ {path} {{ id {field} {selection} }}"
        f"{closing} }} }} }}"
    )
    wide = narrow.replace("edges {", "edges { node { jsonLd } ", 1)
    narrowed = await api.data(narrow, tenant="jobboard")
    everything = await api.data(wide, tenant="jobboard")
    for edge in everything["jobs"]["edges"]:
        edge["node"].pop("jsonLd")
    assert narrowed == everything


def test_a_scope_changed_is_what_dataclasses_replace_makes_of_it():
    results, counting = SearchResults(30), Counting()
    scope = Scope("jobboard", (true(),))
    changed = scope.cacheable(results, "jobboard", 3).counted_by(None).recording(counting)
    assert changed == replace(
        scope, results=results, cache_key=("jobboard", 3), counts=None, counting=counting
    )
    assert scope.results is None and scope.counting is None  # the scope itself unchanged


def test_a_filter_worked_out_as_a_key_saves_as_it_did_before():
    """A search keys its results by its filter, worked out once and kept on it; a saved
    search (an alert) stores the same filter's values, and only them."""
    chosen = JobFilter(prefecture="Osaka", tags=["python"])
    assert chosen.key == orjson.dumps({"prefecture": "Osaka", "tags": ["python"]})
    assert chosen.as_json() == {"prefecture": "Osaka", "tags": ["python"]}
    assert JobFilter.from_json(chosen.as_json()) == chosen
