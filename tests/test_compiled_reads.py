"""Compiled reads (graphql/compiled.py): a query over public data runs by its document's
plan, and answers exactly what the full executor answers, byte for byte, with the same
statements. Every kind of document goes through both: planned ones (fragments, aliases,
variables, nested objects and lists, nulls, cursors, broadened searches, site keys, GET)
and the ones a plan hands back (errors, limits, private fields, resolvers with arguments
below the root)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis_graphql import queries

from jobgraph.graphql.public_reads import PUBLIC_ROOTS
from jobgraph.graphql.schema import schema
from jobgraph.jobs.search import SearchResults
from tests.conftest import TEST_SETTINGS
from tests.support.generated import SCALARS, against_the_app
from tests.support.partners import ORIGIN, site_key
from tests.support.responses import alike

EVERY_JOB_FIELD = """
fragment Posting on Job {
  id title tags category employmentType remote japaneseLevel englishLevel
  visaSponsorship benefits status publishedAt expiresAt currentAsOf description
  salary { min max currency period yearly { min max } monthly { min max } }
  location { prefecture city nearestStation prefectureInfo { code name nameJa }
             station { name nameJa lines { name nameJa } } }
  company { __typename id name description logoUrl website industry size locations }
}"""

# (document, variables, whether a plan answers it)
DOCUMENTS = [
    pytest.param(
        "{ jobs(first: 50, sort: NEWEST) { edges { cursor node { id title tags "
        "company { id name } } } pageInfo { hasNextPage endCursor } } }",
        None,
        True,
        id="the benchmarked partner page",
    ),
    pytest.param(
        "query Page($first: Int, $sort: JobSort) { __typename a: jobs(first: $first, "
        "sort: $sort) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
        "edges { cursor node { ...Posting } } } b: jobs(first: 2) { edges { node { "
        "... on Job { id } } } } }" + EVERY_JOB_FIELD,
        {"first": 7, "sort": "SALARY"},
        True,
        id="every field, fragments, aliases, variables",
    ),
    pytest.param(
        '{ jobs(first: 4, filter: {prefecture: "Osaka", remote: [HYBRID, FULL]}, '
        "maxPerCompany: 1) { edges { node { id company { id } } } } }",
        None,
        True,
        id="filters and diversity",
    ),
    pytest.param(
        "query($q: String) { jobs(search: $q, first: 5) { suggestion broadened { "
        "droppedTerm searchedFor } edges { node { id title } } } }",
        {"q": "enginer"},
        True,
        id="a search broadened or respelled",
    ),
    pytest.param(
        "{ prefectures { code name nameJa } railwayLines { name } }",
        None,
        True,
        id="reference lists",
    ),
    pytest.param(
        '{ job(id: "00000000-0000-0000-0000-000000000000") { id title } }',
        None,
        True,
        id="a job that is not there",
    ),
    pytest.param(
        '{ jobs(first: 2, after: "not a cursor") { edges { node { id } } } }',
        None,
        False,
        id="a bad cursor (the resolver's error)",
    ),
    pytest.param(
        "query($first: Int) { jobs(first: $first) { edges { node { id } } } }",
        {"first": "many"},
        False,
        id="variables that do not coerce",
    ),
    pytest.param(
        "{ jobs(first: 500) { edges { node { id } } } }",
        None,
        False,
        id="over the site's page limit",
    ),
    pytest.param(
        '{ jobs(first: 5, filter: {prefecture: "Osaka"}) { totalCount '
        "edges { node { id title company { name } } } pageInfo { hasNextPage } "
        "facets { category { value count } prefecture { value count prefecture { code } } "
        "line { value count line { name } } } "
        "salaryHistogram(bounds: [0, 4000000]) { min max count } "
        'yen: salaryHistogram(bounds: [0, 3000000], currency: "jpy") { count } } }',
        None,
        True,
        id="the whole search page, counted from memory",
    ),
    pytest.param(
        "query($bounds: [Int!]!) { jobs(first: 2) { totalCount "
        "salaryHistogram(bounds: $bounds) { count } edges { node { id } } } }",
        {"bounds": [0, 4000000]},
        False,
        id="a histogram's bounds in variables",
    ),
    pytest.param(
        "{ jobs(first: 2) { totalCount salaryHistogram(bounds: [5, 1]) { count } "
        "edges { node { id } } } }",
        None,
        False,
        id="a histogram's error (its page not read twice)",
    ),
    pytest.param(
        "{ jobs(first: 2) { totalCount facets { category { value count } } "
        "edges { node { id similarJobs(first: 2) { id } } } } }",
        None,
        False,
        id="fields resolved with the request",
    ),
    pytest.param(
        "{ jobs(first: 2) { edges { node { viewCount } } } }",
        None,
        False,
        id="a company's own numbers",
    ),
    pytest.param(
        "{ jobs(first: 2) { edges { node { id @include(if: true) } } } }",
        None,
        False,
        id="directives",
    ),
    pytest.param("{ jobs(first: 2) { edges { nod { id } } } }", None, False, id="invalid"),
]


@pytest.fixture
async def both(database, serve, unmetered):
    """The same database served twice: with plans, and with the full executor only."""
    full_settings = TEST_SETTINGS.model_copy(update={"compiled_reads": False})
    async with serve(database) as planned, serve(database, full_settings) as full:
        yield planned, full


async def planned_count(api) -> float:
    response = await api.http.get(
        "/metrics", headers={"Authorization": "Bearer test-metrics-token"}
    )
    found = re.search(r"^jobgraph_graphql_compiled_reads_total (\S+)$", response.text, re.M)
    return float(found[1]) if found else 0.0


def headers_of(response) -> list[tuple[str, str]]:
    """Every header but the request's own id and the body's length: the body holds the
    budget's current level, whose digits depend on how long its bucket refilled (the
    bodies are compared with that level blanked out, ``alike``)."""
    return sorted(
        (name, value)
        for name, value in response.headers.items()
        if name not in ("x-request-id", "content-length")
    )


async def answers(api, document, variables, headers):
    """The response, the statements it cost and whether a plan answered it."""
    before_statements = api.statements.count
    before_planned = await planned_count(api)
    response = await api.post(document, variables, tenant="kansai-jobs", headers=headers)
    planned = await planned_count(api) - before_planned
    return response, api.statements.count - before_statements, planned


@pytest.mark.parametrize(("document", "variables", "plannable"), DOCUMENTS)
async def test_a_plan_answers_what_the_executor_answers(both, document, variables, plannable):
    planned, full = both
    for api in both:
        # What this process keeps across apps (normalised search texts, the registry) is
        # there for both; what each app keeps of its searches is not.
        await api.post(document, variables, tenant="kansai-jobs")
        await api.indexed()
        api.app.state.services.search_results = SearchResults()
    expected, expected_statements, _ = await answers(full, document, variables, {})
    got, statements, by_plan = await answers(planned, document, variables, {})
    assert got.status_code == expected.status_code
    assert alike(got.content) == alike(expected.content)
    assert headers_of(got) == headers_of(expected)
    assert statements == expected_statements
    assert by_plan == (1 if plannable else 0)


# Documents over the public roots, generated from the schema (hypothesis-graphql): the
# fields, arguments, aliases and fragments a partner might send, with no hand list.
PUBLIC_DOCUMENTS = queries(
    schema.as_str(),
    fields=sorted(PUBLIC_ROOTS),
    custom_scalars=SCALARS,
    allow_x00=False,
)


@against_the_app(40)
@given(document=PUBLIC_DOCUMENTS)
async def test_generated_public_reads_answer_alike_planned_or_not(both, document):
    for api in both:
        await api.post(document, tenant="kansai-jobs")
        await api.indexed()
        api.app.state.services.search_results = SearchResults()
    planned, full = both
    expected, expected_statements, _ = await answers(full, document, None, {})
    got, statements, _ = await answers(planned, document, None, {})
    assert (got.status_code, alike(got.content)) == (expected.status_code, alike(expected.content))
    assert headers_of(got) == headers_of(expected)
    assert statements == expected_statements


async def test_site_keys_get_and_the_graphql_media_type_are_planned_alike(both):
    query = "{ jobs(first: 3) { edges { node { id title company { name } } } } }"
    answered = []
    for api in both:
        key = await site_key(api, "jobboard")
        headers = {
            "X-Site-Key": key["key"],
            "Origin": ORIGIN,
            "Accept": "application/graphql-response+json",
        }
        before = await planned_count(api)
        by_post = await api.post(query, tenant="jobboard", headers=headers)
        by_get = await api.http.get(
            "/graphql", params={"query": query}, headers={**headers, "X-Tenant": "jobboard"}
        )
        answered.append(((by_post, by_get), await planned_count(api) - before))
    (mine, by_plan), (theirs, by_full) = answered
    assert by_plan == 2 and by_full == 0
    for planned, full in zip(mine, theirs, strict=True):
        assert planned.status_code == full.status_code == 200
        assert alike(planned.content) == alike(full.content) and b"errors" not in planned.content
        assert planned.headers["content-type"] == full.headers["content-type"]
        assert planned.headers["content-type"].startswith("application/graphql-response+json")
    assert alike(mine[0].content) == alike(mine[1].content)


def test_planned_reads_are_the_schemas_last_extension():
    """Every other extension has done its part when a plan runs."""
    from jobgraph.graphql.compiled import PlannedReads
    from jobgraph.graphql.schema import schema

    assert schema.extensions[-1] is PlannedReads


async def test_an_extension_added_to_the_schema_applies_to_a_planned_read(api, monkeypatch):
    """One pipeline: an extension the schema gains refuses a public read that a plan
    would otherwise answer."""
    from graphql import GraphQLError
    from strawberry.extensions import SchemaExtension

    from jobgraph.graphql.schema import schema

    class NoTenantReads(SchemaExtension):
        def on_validate(self):
            if "tenant" in (self.execution_context.query or ""):
                self.execution_context.pre_execution_errors = [
                    GraphQLError("Not today.", extensions={"code": "FORBIDDEN"})
                ]
            yield

    query = "{ tenant { slug } }"
    before = await planned_count(api)
    assert (await api.data(query, tenant="jobboard")) == {"tenant": {"slug": "jobboard"}}
    assert await planned_count(api) == before + 1
    monkeypatch.setattr(
        schema, "extensions", [*schema.extensions[:-1], NoTenantReads, schema.extensions[-1]]
    )
    body = await api.graphql(query, tenant="jobboard")
    assert (body["data"], body["errors"]) == (
        None,
        [{"message": "Not today.", "extensions": {"code": "FORBIDDEN"}}],
    )
    assert await planned_count(api) == before + 1


async def test_a_root_field_a_plan_resolved_is_not_resolved_again(database, serve, unmetered):
    """A plan that resolved a root field and could not shape its value (here a
    histogram's bounds, refused) hands the value to the executor, which reports the error
    at its field: the page's statement runs once, as without plans (nothing kept between
    requests to hide a second run)."""
    document = (
        "{ jobs(first: 2) { totalCount salaryHistogram(bounds: [5, 1]) { count } "
        "edges { node { id } } } }"
    )
    settings = TEST_SETTINGS.model_copy(update={"search_results_ttl_s": 0})
    async with serve(database, settings) as api:
        await api.post(document, None, tenant="kansai-jobs")  # its plan made
        await api.indexed()
        before = api.statements.count
        body = (await api.post(document, None, tenant="kansai-jobs")).json()
        assert api.statements.count - before == 1  # the page, read alone, once
    assert body["data"] is None  # non-null up to the root
    [error] = body["errors"]
    assert error["path"] == ["jobs", "salaryHistogram"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
