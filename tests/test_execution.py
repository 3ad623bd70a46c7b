"""The lean execution (graphql/execution.py) answers byte for byte what graphql-core's own
execution answers: every console example's read, the benchmarked and load-tested pages,
each viewer's own pages, and documents that use aliases, fragments, directives,
__typename and errors, on every demo site."""

from __future__ import annotations

import re
from typing import Any

import pytest
import strawberry
from bench.load import CANDIDATES, PROFILES, SEARCH
from bench.servers import FACETS_QUERY
from bench.servers import QUERY as BENCH
from strawberry.extensions import FieldExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from jobgraph.console.examples import EXAMPLES
from jobgraph.fields import PRELOADED, derived
from jobgraph.graphql import execution
from jobgraph.graphql.execution import LeanExecutionContext, _derived, _preloaded_name
from jobgraph.graphql.schema import schema
from jobgraph.jobs.types import JobEdge
from tests.conftest import database_name
from tests.support.employers import employer_of
from tests.support.responses import alike

RESUME = """{ myResume { fullName birthDate gender phone email lastEmployer visibility
  languages { language level } educationLevel educationHistory { school degree }
  workHistory { employer title } skills desiredCategories
  disclosure { level relationship withheldFields } } }"""
SHAPES = """query Shapes($skip: Boolean!) {
  first: jobs(first: 3, sort: NEWEST) { ...Page }
  second: jobs(first: 2, sort: SALARY) @skip(if: $skip) { __typename ...Page }
  tenant { __typename branding { siteName } }
}
fragment Page on JobConnection {
  edges { cursor node { __typename id ... on Job { title salary { min max period }
    location { prefecture } status publishedAt } } }
  pageInfo { hasNextPage endCursor startCursor hasPreviousPage }
}"""
# Errors keep their places: an unknown id (null, no error), a bad cursor (an error in
# the middle of the data), a field the viewer may not read.
ERRORS = """{ job(id: "00000000-0000-0000-0000-000000000000") { id }
  jobs(first: 2, after: "not-a-cursor") { edges { node { id } } }
  more: jobs(first: 1) { edges { node { id viewCount } } } }"""


async def both_ways(api, query: str, variables: dict | None = None, **kwargs) -> bytes:
    """The response's bytes, executed the lean way, after checking graphql-core's own
    execution gives the very same bytes."""
    assert schema.execution_context_class is LeanExecutionContext
    lean = await api.post(query, variables, **kwargs)
    schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
    try:
        plain = await api.post(query, variables, **kwargs)
    finally:
        schema.execution_context_class = LeanExecutionContext
    assert lean.status_code == plain.status_code
    assert alike(lean.content) == alike(plain.content)
    return alike(lean.content)


@pytest.mark.parametrize("tenant", ["jobboard", "kansai-jobs", "community"])
async def test_every_read_answers_the_same_bytes_both_ways(api, unmetered, tenant):
    employer = await employer_of(api, tenant)
    job_id = await employer.post(title="Differential job", tags=["python", "graphql"])
    seeker_email = "seeker2@jobboard.test" if tenant != "community" else "seeker2@community.test"
    seeker = (await api.sign_in(seeker_email, tenant))["accessToken"]
    await api.data(
        "mutation($j: ID!) { applyToJob(jobId: $j) { id } }",
        {"j": job_id},
        tenant=tenant,
        token=seeker,
    )

    anonymous = [
        (BENCH, None),
        (SEARCH, {"q": None}),
        (SEARCH, {"q": "engineer"}),
        (PROFILES, None),
        (SHAPES, {"skip": False}),
        (SHAPES, {"skip": True}),
        (ERRORS, None),
        ("{ job(id: $id) { id } }", None),  # invalid: a request error
    ]
    for query, variables in anonymous:
        await both_ways(api, query, variables, tenant=tenant)

    as_employer = [
        (CANDIDATES, {"c": employer.company_id}),
        ("{ me { memberships { companyId companyName role } } }", None),
        ("query($j: ID!) { job(id: $j) { title viewCount applicantCount } }", {"j": job_id}),
    ]
    for example in EXAMPLES:
        if example.query.lstrip().startswith("#") and "mutation" in example.query:
            continue
        if "mutation " in example.query:
            continue
        variables = {
            name: {"companyId": employer.company_id, "jobId": job_id}.get(name, value)
            for name, value in example.variables.items()
        }
        as_employer.append((example.query, variables))
    for query, variables in as_employer:
        await both_ways(api, query, variables, tenant=tenant, token=employer.token)

    for query in (
        RESUME,
        "{ myApplications { status job { title company { name } } } }",
        "{ myDisclosures { fields reason recipient } }",
    ):
        await both_ways(api, query, tenant=tenant, token=seeker)


async def test_a_documents_shapers_are_compiled_at_its_first_request_only(
    api, unmetered, monkeypatch
):
    """The whole search page (general execution: its facets are resolvers) has its
    selections' shapers compiled at its first request and kept with its document: later
    requests, on this site and another, compile none and still answer graphql-core's bytes.
    A document with directives compiles them per request (its variables may select
    differently), and answers each request's own selection."""
    compiled = 0
    compile_shaper = execution._shaper_of

    def counted(steps, *owner):
        nonlocal compiled
        compiled += 1
        return compile_shaper(steps, *owner)

    monkeypatch.setattr(execution, "_shaper_of", counted)
    first = await both_ways(api, FACETS_QUERY, tenant="kansai-jobs")
    assert b'"edges":[{' in first and compiled > 0
    at_first = compiled
    assert await both_ways(api, FACETS_QUERY, tenant="kansai-jobs") == first
    await both_ways(api, FACETS_QUERY, tenant="jobboard")
    assert compiled == at_first

    for skip in (False, True, False):
        compiled = 0
        answer = await both_ways(api, SHAPES, {"skip": skip}, tenant="kansai-jobs")
        assert (b'"second"' in answer) is not skip
        assert compiled > 0


# Selections of a page's edges: those that read only what a record holds (aliases,
# fragments, __typename, any order) are shaped off the records; the last two read a field
# worked out from a posting or its company, and have the objects made.
OFF_RECORDS = [
    "{{ jobs(first: {n}) {{ edges {{ c: cursor node {{ __typename i: id title tags "
    "company {{ __typename name n2: name id }} }} }} }} }}",
    "{{ jobs(first: {n}) {{ edges {{ node {{ ...J company {{ ...C }} }} }} }} }} "
    "fragment J on Job {{ id t: title }} fragment C on Company {{ id }}",
    "{{ jobs(first: {n}) {{ pageInfo {{ startCursor endCursor }} edges {{ cursor }} }} }}",
    "{{ jobs(first: {n}) {{ edges {{ __typename node {{ company {{ name }} }} }} }} }}",
]
OFF_OBJECTS = [
    "{{ jobs(first: {n}) {{ edges {{ node {{ id description }} }} }} }}",
    "{{ jobs(first: {n}) {{ edges {{ cursor node {{ company {{ name logoUrl }} }} }} }} }}",
]


async def test_a_pages_edges_are_shaped_off_its_records_as_off_its_objects(
    api, unmetered, monkeypatch
):
    """A page's edges whose selection reads only what its statement's records hold are
    shaped off the records, and no edge, posting or company object is made (a page of
    fifty cost more in Python than its statement); a selection that reads more has the
    objects made, one per posting. Either way, graphql-core's own execution answers the
    same bytes."""
    made = 0
    edge_of = JobEdge.of

    def counted(*arguments: Any) -> JobEdge:
        nonlocal made
        made += 1
        return edge_of(*arguments)

    monkeypatch.setattr(JobEdge, "of", counted)
    # Each document its own page size: a page kept for one is not another's.
    for size, (query, objects) in enumerate(
        [(query, 0) for query in OFF_RECORDS] + [(query, 1) for query in OFF_OBJECTS], 2
    ):
        document = query.format(n=size)
        made = 0
        edges = (await api.data(document, tenant="jobboard"))["jobs"]["edges"]
        assert len(edges) == size and made == objects * size, (document, made)
        assert b'"edges":[{' in await both_ways(api, document, tenant="jobboard")


async def test_a_null_tag_written_past_the_api_answers_as_graphql_core_answers_it(
    api, unmetered, database, database_server
):
    """The API writes no null tag, but the column would take one from another program: a
    page whose tags are read off its records as they are answers such a tag as
    graphql-core does (an error in its place, the posting null), never a null String."""
    employer = await employer_of(api, "jobboard")
    job_id = await employer.post(title="A tag gone null", tags=["python", "sql"])
    nulled = f"UPDATE job_postings SET tags = ARRAY['python', NULL] WHERE id = '{job_id}'"
    async with api.announced():
        await database_server.execute(nulled, database=database_name(database))
    page = "{ jobs(first: 3, sort: NEWEST) { edges { cursor node { id tags } } } }"
    lean = await api.post(page, tenant="jobboard")
    schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
    try:
        plain = await api.post(page, tenant="jobboard")
    finally:
        schema.execution_context_class = LeanExecutionContext
    # Each error has a reference of its own to find it in the log.
    assert _unreferenced(lean.content) == _unreferenced(plain.content)
    [error] = lean.json()["errors"]
    assert error["path"] == ["jobs", "edges", 0, "node", "tags", 1]


def _unreferenced(content: bytes) -> bytes:
    return re.sub(rb'(reference[ ":]+)[0-9a-f]+', rb"\1_", alike(content))


class _Shout(FieldExtension):
    def resolve(self, next_, source, info, **kwargs):
        return str(next_(source, info, **kwargs)).upper()


@strawberry.type
class _Thing:
    name: str

    @strawberry.field(metadata=derived("name"))
    def plain_derived(self) -> str:
        return self.name

    @strawberry.field(metadata=derived("name"), extensions=[_Shout()])
    def guarded_derived(self) -> str:
        return self.name

    preloaded: str = strawberry.field(metadata={PRELOADED: "name"})
    guarded_preloaded: str = strawberry.field(metadata={PRELOADED: "name"}, extensions=[_Shout()])


@strawberry.type
class _Query:
    thing: _Thing


def test_a_field_with_an_extension_is_never_read_past_it():
    """Derived and preloaded fields are read straight off their objects on the fast path;
    a field extension (which may check or change the value) keeps a field on the full
    path, as Strawberry keeps such a field from being basic."""
    query_type = strawberry.Schema(_Query)._schema.query_type
    fields = query_type.fields["thing"].type.of_type.fields
    assert _derived(fields["plainDerived"]) is not None
    assert _derived(fields["guardedDerived"]) is None
    assert _preloaded_name(fields["preloaded"]) == "name"
    assert _preloaded_name(fields["guardedPreloaded"]) is None


def test_a_resumes_fields_are_read_off_it_but_its_address():
    """A page of resumes (public profiles, candidate search) calls no resolver with a
    resolve info per resume and field: each field's resolver needs only its Resume (the
    policy's decision and the request's record travel with it), but the e-mail address,
    which a loader may have to fetch."""
    resume = schema._schema.type_map["Resume"]
    on_the_full_path = {name for name, field in resume.fields.items() if _derived(field) is None}
    assert on_the_full_path == {"email"}


async def test_a_kept_page_asked_by_several_documents_answers_each_its_own_selection(
    api, unmetered
):
    """A kept page keeps the response its last document's shaper made of it: another
    document asking the same page between two requests of the first still gets its own
    selection, and the first its own again, each what graphql-core answers."""
    short = "{ jobs(first: 5, sort: NEWEST) { edges { node { id } } } }"
    long = "{ jobs(first: 5, sort: NEWEST) { edges { cursor node { title id tags } } } }"
    answers = {}
    for query in (short, long, short, long, long):
        answer = await both_ways(api, query, tenant="kansai-jobs")
        assert answers.setdefault(query, answer) == answer
    assert answers[short] != answers[long] and b'"title"' in answers[long]
