"""Hostile documents, each refused before any resolver runs, with the exact refusal."""

import asyncio
import json
import threading
import time
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from graphql import get_introspection_query
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries

from jobgraph.graphql.limits import Written
from jobgraph.graphql.schema import schema
from jobgraph.policy.config import MAX_TOKENS_CEILING
from tests.conftest import error_code
from tests.support.generated import SCALARS
from tests.support.servers import REDIS, empty_redis_or_skip


def refusal(body: dict) -> dict:
    assert body.get("data") is None, body
    return body["errors"][0]


async def test_a_deep_query_is_refused_naming_depth_and_limit(api):
    nested = "id"
    for _ in range(8):
        nested = f"company {{ openJobs(first: 1) {{ {nested} }} }}"
    body = await api.graphql(
        f"{{ jobs(first: 1) {{ edges {{ node {{ {nested} }} }} }} }}", tenant="jobboard"
    )
    error = refusal(body)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["limit"] == 12 and error["extensions"]["depth"] > 12


async def test_101_aliases_are_refused(api):
    aliases = " ".join(f"a{i}: tenant {{ slug }}" for i in range(101))
    error = refusal(await api.graphql(f"{{ {aliases} }}", tenant="jobboard"))
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["aliases"] == 101 and error["extensions"]["limit"] == 30


async def test_aliases_hidden_in_fragments_count_each_time_they_are_spread(api):
    fragment = (
        "fragment F on Query { " + " ".join(f"f{i}: tenant {{ slug }}" for i in range(10)) + " }"
    )
    # 4 aliases of its own, and a fragment of 10 aliases spread three times (once
    # directly, twice through another fragment): 34, though each part looks small.
    query = (
        "{ "
        + " ".join(f"x{i}: tenant {{ slug }}" for i in range(4))
        + " ...F ...G } "
        + fragment
        + " fragment G on Query { ...F ...F }"
    )
    body = await api.graphql(query, tenant="jobboard")
    error = refusal(body)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["aliases"] == 4 + 10 * 3


async def test_circular_fragments_are_refused_not_followed(api):
    query = "{ ...A } fragment A on Query { tenant { slug } ...B } fragment B on Query { ...A }"
    started = time.monotonic()
    body = await api.graphql(query, tenant="jobboard")
    assert time.monotonic() - started < 5
    assert error_code(body) == "GRAPHQL_VALIDATION_FAILED"
    assert "cannot spread fragment" in body["errors"][0]["message"].lower()


async def test_a_flood_of_duplicated_fields_is_refused_by_its_size(api):
    query = "{ tenant { " + "slug " * 3000 + "} }"
    error = refusal(await api.graphql(query, tenant="jobboard"))
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "2000 tokens" in error["message"]


async def test_overloaded_directives_are_refused(api):
    query = "{ tenant " + "@skip(if: false) " * 50 + "{ slug } }"
    body = await api.graphql(query, tenant="jobboard")
    assert body.get("data") is None
    assert error_code(body) in ("GRAPHQL_VALIDATION_FAILED", "QUERY_TOO_COMPLEX")


async def test_the_estimated_cost_weighs_page_sizes_and_states_the_budget(api):
    query = """{ jobs(first: 50) { edges { node { similarJobs(first: 50) {
      company { openJobs(first: 50) { id title } } } } } } }"""
    error = refusal(await api.graphql(query, tenant="jobboard"))
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["budget"] == 5000 and error["extensions"]["cost"] > 5000
    assert "5000" in error["message"]
    # The same shape with small pages fits.
    small = query.replace("first: 50", "first: 2")
    assert "errors" not in await api.graphql(small, tenant="jobboard")


@pytest.mark.parametrize("n", [50, 50.0])
async def test_page_sizes_given_as_variables_count_too(api, n):
    """50.0 is coerced to the Int 50: it costs what 50 costs (it was counted as a default
    page of 20, and answered with 799 postings)."""
    query = """query($n: Int) { jobs(first: $n) { edges { node {
      similarJobs(first: $n) { id title company { name } } } } } }"""
    error = refusal(await api.graphql(query, {"n": n}, tenant="jobboard"))
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["cost"] > error["extensions"]["budget"]


NESTED = (
    "{ jobs { edges { node { id company { openJobs { id company { openJobs { id } } } } } } } }"
)


async def test_a_list_without_first_costs_the_page_it_returns(api):
    # Left out, `first` is the default page of 20 (the connection) and the argument's
    # default (openJobs: 20): costed exactly as if written out.
    implicit = refusal(await api.graphql(NESTED, tenant="jobboard"))
    explicit = refusal(
        await api.graphql(
            NESTED.replace("jobs {", "jobs(first: 20) {").replace(
                "openJobs {", "openJobs(first: 20) {"
            ),
            tenant="jobboard",
        )
    )
    assert implicit["extensions"] == explicit["extensions"]
    # The connection and its edges list once, then 20 nodes of 464 each.
    assert implicit["extensions"]["cost"] == 2 + 20 * 464
    assert implicit["extensions"]["budget"] == 5000


async def test_a_whole_search_page_fits_the_default_budget(api):
    """A connection's `first` multiplies its edges, not its total, facets or histogram:
    the page a partner draws (50 results, every facet, a histogram) is within budget."""
    from bench.servers import FACETS_QUERY

    body = await api.graphql(FACETS_QUERY, tenant="kansai-jobs")
    assert "errors" not in body, body["errors"]


async def test_a_variables_default_is_the_page_size_when_the_variable_is_left_out(api):
    query = """query($n: Int = 50) { jobs(first: $n) { edges { node { similarJobs(first: $n) {
      company { openJobs(first: $n) { id } } } } } } }"""
    error = refusal(await api.graphql(query, tenant="jobboard"))
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["cost"] > 50 * 50 * 50
    small = await api.graphql(query, {"n": 2}, tenant="jobboard")
    assert "errors" not in small


async def test_a_nested_list_cannot_ask_for_more_than_the_sites_page(api):
    query = "{ jobs(first: 1) { edges { node { similarJobs(first: 51) { id } } } } }"
    body = await api.graphql(query, tenant="jobboard")
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["message"] == "'first' must be between 1 and 50 on this site."


async def test_typename_aliases_count_like_any_other(api):
    direct = " ".join(f"t{i}: __typename" for i in range(31))
    error = refusal(await api.graphql(f"{{ {direct} }}", tenant="jobboard"))
    assert error["extensions"]["aliases"] == 31
    # Through fragments: 16 aliases in each of two fragments.
    a = " ".join(f"a{i}: __typename" for i in range(16))
    b = " ".join(f"b{i}: __typename" for i in range(16))
    query = f"{{ ...A ...B }} fragment A on Query {{ {a} }} fragment B on Query {{ {b} }}"
    error = refusal(await api.graphql(query, tenant="jobboard"))
    assert error["extensions"]["aliases"] == 32


INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_introspection_is_closed_to_anonymous_traffic_and_open_to_employers(api):
    error = refusal(await api.graphql(INTROSPECTION, tenant="jobboard"))
    assert error["extensions"]["code"] == "FORBIDDEN"
    hidden = '{ ... on Query { __type(name: "Job") { name } } }'
    assert error_code(await api.graphql(hidden, tenant="jobboard")) == "FORBIDDEN"
    employer = (await api.sign_in("employer@jobboard.test", "jobboard"))["accessToken"]
    body = await api.data(INTROSPECTION, tenant="jobboard", token=employer)
    assert body["__schema"]["queryType"]["name"] == "Query"


async def test_graphiqls_full_introspection_works_for_employers_but_recursion_is_refused(api):
    employer = (await api.sign_in("employer@jobboard.test", "jobboard"))["accessToken"]
    full = get_introspection_query(descriptions=True, input_value_deprecation=True)
    body = await api.data(full, tenant="jobboard", token=employer)
    assert any(t["name"] == "Job" for t in body["__schema"]["types"])
    # Introspection inside introspection: what the depth exemption must not open.
    recursive = (
        "{ __schema { types { fields { type { fields { type { fields { type { name } } } } } "
    )
    recursive += "} } } }"
    refused = await api.graphql(recursive, tenant="jobboard", token=employer)
    assert refused["data"] is None
    assert error_code(refused) == "GRAPHQL_VALIDATION_FAILED"
    assert "Maximum introspection depth exceeded" in refused["errors"][0]["message"]


async def test_field_suggestions_only_for_whom_introspection_is_open(api):
    anonymous = await api.graphql("{ tenant { nmae } }", tenant="jobboard")
    assert "Did you mean" not in anonymous["errors"][0]["message"]
    assert "nmae" in anonymous["errors"][0]["message"]
    employer = (await api.sign_in("employer@jobboard.test", "jobboard"))["accessToken"]
    signed_in = await api.graphql("{ tenant { nmae } }", tenant="jobboard", token=employer)
    assert "Did you mean 'name'?" in signed_in["errors"][0]["message"]


@pytest.mark.parametrize("tenant", ["jobboard", "community"])
async def test_an_ordinary_search_page_fits_every_budget(api, tenant):
    query = """query($n: Int) { jobs(first: $n) { totalCount edges { cursor node { id title
      category location { prefecture city } salary { min max } tags company { id name } } }
      pageInfo { hasNextPage endCursor } facets { category { value count } } } }"""
    first = 30 if tenant == "community" else 50
    assert "errors" not in await api.graphql(query, {"n": first}, tenant=tenant)


ROOTS = """{ __schema { queryType { fields { name } } mutationType { fields { name } } } }"""


async def root_operations(api, token, tenant="jobboard") -> tuple[set, set]:
    schema = (await api.data(ROOTS, tenant=tenant, token=token))["__schema"]
    return (
        {f["name"] for f in schema["queryType"]["fields"]},
        {f["name"] for f in schema["mutationType"]["fields"]},
    )


async def test_the_schema_explorer_lists_the_operations_the_viewer_may_call(api):
    employer = (await api.sign_in("employer@jobboard.test", "jobboard"))["accessToken"]
    queries, mutations = await root_operations(api, employer)
    assert {"searchCandidates", "employerJobs", "applicants", "jobs"} <= queries
    assert {"createJob", "inviteCandidate", "moveApplication"} <= mutations
    assert not {"tenantHistory", "seekerStatistics", "staffResume"} & queries
    assert not {"createTenant", "updateTenantPolicy", "lawfulDisclosure"} & mutations

    admin = (await api.staff_sign_in("admin@jobboard.test", "jobboard"))["accessToken"]
    queries, mutations = await root_operations(api, admin)
    assert "tenantHistory" in queries and "updateTenantPolicy" in mutations
    assert "createTenant" not in mutations

    seeker = (await api.sign_in("seeker1@jobboard.test", "jobboard"))["accessToken"]
    queries, mutations = await root_operations(api, seeker)
    assert {"myResume", "myApplications", "exportMyData"} <= queries
    assert {"applyToJob", "deleteMyAccount"} <= mutations
    staff_only = {"operatorLogin", "createTenant", "lawfulDisclosure", "grantTenantAdmin",
                  "createSiteKey", "registerTrustedDocuments", "sendAnnouncement"}  # fmt: skip
    assert not staff_only & mutations
    assert not {"staffResume", "explainAccess", "inquiries", "applicants"} & queries

    operator = await api.operator_token()
    _, mutations = await root_operations(api, operator)
    assert {"createTenant", "lawfulDisclosure", "updateTenantPolicy"} <= mutations
    # Hidden is not forbidden: calling still goes through the permission check.
    refused = await api.graphql(
        'mutation { createTenant(config: {slug: "x"}) { settings { slug } } }',
        tenant="jobboard",
        token=employer,
    )
    assert error_code(refused) == "FORBIDDEN"


async def test_a_resume_holds_no_longer_lists_than_the_cost_model_counts(api):
    seeker = (await api.sign_in("seeker1@jobboard.test", "jobboard"))["accessToken"]
    update = """mutation($w: [WorkExperienceInput!]!) {
      updateResume(patch: {workHistory: $w}) { workHistory { title } } }"""
    jobs = [{"employer": f"KK {i}", "title": "Engineer"} for i in range(21)]
    body = await api.graphql(update, {"w": jobs}, tenant="jobboard", token=seeker)
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["message"] == "workHistory: at most 20 entries."
    saved = await api.data(update, {"w": jobs[:20]}, tenant="jobboard", token=seeker)
    assert len(saved["updateResume"]["workHistory"]) == 20


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($s: JobSort) { jobs(sort: $s) { totalCount } }", {"s": "SALARI"}),
        (
            "query($f: JobFilterInput) { jobs(filter: $f) { totalCount } }",
            {"f": {"categoriez": ["IT"]}},
        ),
        ("{ jobs(sort: SALARI) { totalCount } }", None),
    ],
)
async def test_no_suggestion_reaches_anonymous_callers_through_variables(api, query, variables):
    anonymous = await api.graphql(query, variables, tenant="jobboard")
    assert anonymous["errors"] and all(
        "Did you mean" not in error["message"] for error in anonymous["errors"]
    ), anonymous
    employer = (await api.sign_in("employer@jobboard.test", "jobboard"))["accessToken"]
    signed_in = await api.graphql(query, variables, tenant="jobboard", token=employer)
    assert any("Did you mean" in error["message"] for error in signed_in["errors"]), signed_in


async def test_a_document_over_the_platform_token_ceiling_is_too_complex_like_any_other(api):
    # Refused while it is read, at the site's own limit (never more than the platform's
    # ceiling): the same code as any limit, and the status of any request error.
    response = await api.post(
        "{ " + "a " * (MAX_TOKENS_CEILING + 10) + "}",
        tenant="jobboard",
        headers={"Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": 2000}
    assert "more than 2000 tokens" in error["message"]


FRAGMENT = "fragment F on Query { jobs(first: 1) { edges { node { id title } } } }"


async def test_the_sites_limits_come_before_a_document_is_planned_or_kept(api):
    """The attack: one public fragment spread over many aliases, a fresh comment each time
    so that no cache helps. Each is refused before it is planned, and leaves nothing."""
    caches = api.app.state.services.caches
    for attempt in range(3):
        aliased = " ".join(f"a{i}: tenant {{ ...T }}" for i in range(140))
        over_aliases = f"# {attempt}\n{{ {aliased} }} fragment T on Tenant {{ slug name }}"
        body = await api.graphql(over_aliases, tenant="jobboard")
        assert refusal(body)["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert "aliases" in refusal(body)["message"]
        spread = " ".join("jobs(first: 1) { totalCount } ...F" for _ in range(400))
        over_tokens = f"# {attempt}\nquery {{ {spread} }} {FRAGMENT}"
        body = await api.graphql(over_tokens, tenant="jobboard")
        assert refusal(body)["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": 2000}
    kept_by_document = {"documents", "measures", "plans", "public_verdicts", "persisted_queries"}
    assert [c.spec.name for c in caches if c.spec.name in kept_by_document and len(c)] == [], (
        "a refused document is never planned nor kept"
    )
    await api.data("{ ...F } " + FRAGMENT, tenant="jobboard")
    kept = {cache.spec.name: len(cache) for cache in caches if len(cache)}
    assert {"documents": 1, "measures": 1, "plans": 1}.items() <= kept.items(), (
        "an accepted public read is"
    )
    metrics = await api.http.get("/metrics", headers={"Authorization": "Bearer test-metrics-token"})
    assert 'jobgraph_rejected_queries_total{reason="tokens"} 3.0' in metrics.text
    assert 'jobgraph_rejected_queries_total{reason="aliases"} 3.0' in metrics.text


async def test_a_query_string_has_the_bodys_size_cap(api):
    """A GET as long as a browser sends (over httpx's own URL limit, so sent to the app
    as the server hands it over)."""
    query = urlencode({"query": "{ tenant { slug } }" + " " * (70 * 1024)}).encode()
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"jobboard.localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    await api.app(scope, receive, send)
    assert sent[0]["status"] == 414
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "64 KiB" in body["errors"][0]["message"]


def test_aliases_are_counted_in_selections_only_while_the_document_is_read():
    document = r'''query Q($f: JobFilterInput = {remote: [FULL]} @dir(x: {y: 1}), $n: Int) {
      a: jobs(first: $n, filter: {prefecture: "Osaka: (x", search: """g: ) \""" h:""" }) {
        b: totalCount }
      # e: a comment, "with a quote
      jobs @include(if: true) { totalCount }
    } fragment F on Job { c: id d :title }'''
    written = Written.read(document)
    assert (written.tokens(2000), written.aliases()) == (_lexed(document), 4)
    assert written.tokens(10) == 11, "tokens counted to one over the limit"


# Pieces of text that read differently inside and outside strings and comments.
_PIECES = st.sampled_from(
    [" ", "\n", ",", "\t", "a", "b1", "_c", "(", ")", "{", "}", ":", "...", "$", "@", "!",
     "=", "[", "]", "|", "&", "1", "-2", "3.5", "4e-1", "#", "# a: (b\n", '"', "\\", '"""',
     '"x: (y"', '"\\"z"', '"""q: ) \\""" r"""', '"""\n"a"\n"""']
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(pieces=st.lists(_PIECES, max_size=40), limit=st.integers(1, 30))
def test_the_tokens_read_ahead_are_those_the_lexer_reads(pieces, limit):
    """Any text the lexer reads whole: the same tokens, counted to one over the limit."""
    from graphql import GraphQLSyntaxError

    text = "".join(pieces)
    try:
        lexed = _lexed(text)
    except GraphQLSyntaxError:
        return  # not GraphQL's tokens: the parser says so
    assert Written.read(text).tokens(limit) == min(lexed, limit + 1)


def _lexed(document: str) -> int:
    """The tokens graphql-core's lexer reads in a document (what its parser counts)."""
    from graphql.language import Lexer, Source, TokenKind

    lexer, tokens = Lexer(Source(document)), 0
    while lexer.advance().kind is not TokenKind.EOF:
        tokens += 1
    return tokens


async def test_other_requests_are_answered_while_a_new_document_is_validated(api, monkeypatch):
    """Validating a new whole page takes longer than a dozen cheap requests: it runs beside
    the event loop, which answers others meanwhile. Here one validation waits until
    another request has been answered; on the event loop it would wait for ever."""
    from jobgraph.graphql import admission

    cheap = "{ __typename }"
    assert (await api.graphql(cheap, tenant="jobboard"))["data"]  # read: not validated again
    entered, answered = threading.Event(), threading.Event()
    validate = admission.validate

    def validate_once_another_is_answered(*arguments):
        entered.set()
        assert answered.wait(timeout=30), "no other request was answered meanwhile"
        return validate(*arguments)

    monkeypatch.setattr(admission, "validate", validate_once_another_is_answered)
    document = f"{{ tenant {{ slug }} }} # new: {time.monotonic_ns()}"
    new = asyncio.create_task(api.graphql(document, tenant="jobboard"))
    assert await asyncio.to_thread(entered.wait, 30)
    assert (await api.graphql(cheap, tenant="jobboard"))["data"] == {"__typename": "Query"}
    answered.set()
    assert (await new)["data"] == {"tenant": {"slug": "jobboard"}}


async def test_a_new_document_brought_by_several_requests_at_once_is_validated_once(
    api, unmetered, monkeypatch
):
    """When many clients start at once, each worker's first requests bring the same few
    documents: one validation each serves all the requests that wait for it. Here the
    validation waits until every request has asked for it; validated per request, each
    would wait its 30 s out and the count would be five."""
    from jobgraph.graphql import admission

    bringing, validations = 5, []
    everyone_asked = threading.Event()
    validate = admission.validate

    def validate_once_everyone_asked(*arguments):
        validations.append(arguments)
        everyone_asked.wait(timeout=30)
        return validate(*arguments)

    validating = api.app.state.services.validating
    result = validating.result
    asked = 0

    async def counted(key, work):
        nonlocal asked
        asked += 1
        if asked == bringing:
            everyone_asked.set()
        return await result(key, work)

    monkeypatch.setattr(admission, "validate", validate_once_everyone_asked)
    monkeypatch.setattr(validating, "result", counted)
    document = f"{{ tenant {{ slug }} }} # new: {time.monotonic_ns()}"
    answers = await asyncio.gather(
        *(api.graphql(document, tenant="jobboard") for _ in range(bringing))
    )
    assert [answer["data"] for answer in answers] == [{"tenant": {"slug": "jobboard"}}] * 5
    assert len(validations) == 1


async def test_a_document_with_too_many_written_aliases_is_refused_before_it_is_parsed(api):
    aliased = " ".join(f"a{i}: tenant {{ slug }}" for i in range(140))
    body = await api.graphql(f"{{ {aliased} }} }}", tenant="jobboard")  # one brace too many
    assert refusal(body)["extensions"] == {"code": "QUERY_TOO_COMPLEX", "aliases": 140, "limit": 30}


ALIASED = "{ " + " ".join(f"a{i}: tenant {{ slug }}" for i in range(40)) + " }"
PAGE_OF_JOBS = (
    "query($q: String) { jobs(search: $q, first: 5) { totalCount edges { node { id } } } }"
)


@pytest.mark.parametrize(
    "query, variables, code",
    [(ALIASED, None, "QUERY_TOO_COMPLEX"), (PAGE_OF_JOBS, {"q": "engineer"}, None)],
    ids=["refused", "a page of postings"],
)
async def test_a_request_leaves_nothing_only_the_collector_can_free(api, query, variables, code):
    """Everything a request makes is freed as it ends, by reference counting: a cycle
    left among its objects (a refusal's traceback and the frames it holds; graphql-core's
    executor and its helpers, which held the request's context, session and request)
    left them all to the collector, about a hundred objects a request, freed in pauses of
    50-150 ms of the whole process under load."""
    import gc

    for _ in range(2):  # warm: what is kept (documents, plans, results) is made
        await api.post(query, variables, tenant="jobboard")
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        body = (await api.post(query, variables, tenant="jobboard")).json()
        gc.collect()
        left = {type(found).__name__ for found in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    if code:
        assert error_code(body) == code
    else:
        assert body["data"]["jobs"]["totalCount"] > 0
    held = {"frame", "traceback", "GraphQLError", "Context", "RequestState"} & left
    held |= {name for name in left if "Execution" in name or "Session" in name}
    assert not held, f"left to the collector: {sorted(held)}"


@settings(max_examples=300, deadline=None)
@given(
    document=queries(schema.as_str(), custom_scalars=SCALARS, allow_x00=False),
    every=st.integers(1, 4),
)
def test_the_aliases_read_from_the_text_are_those_the_parser_finds(document, every):
    """Generated documents (strings, arguments, object values, variables, fragments),
    with an alias added to every ``every``-th field."""
    from graphql import FieldNode, NameNode, parse, print_ast, visit
    from graphql.language import Visitor

    class AddAliases(Visitor):
        fields = 0

        def enter_field(self, node: FieldNode, *_args):
            AddAliases.fields += 1
            if node.alias is None and AddAliases.fields % every == 0:
                return FieldNode(
                    alias=NameNode(value=f"alias{AddAliases.fields}"),
                    name=node.name,
                    arguments=node.arguments,
                    directives=node.directives,
                    selection_set=node.selection_set,
                )
            return None

    class CountAliases(Visitor):
        count = 0

        def enter_field(self, node: FieldNode, *_args):
            CountAliases.count += node.alias is not None

    AddAliases.fields, CountAliases.count = 0, 0
    aliased = print_ast(visit(parse(document), AddAliases()))
    visit(parse(aliased), CountAliases())
    written = Written.read(aliased)
    assert written.aliases() == CountAliases.count
    assert written.tokens(MAX_TOKENS_CEILING) == _lexed(aliased)


async def test_a_limit_spent_just_before_its_window_turns_is_still_spent_just_after(
    monkeypatch,
):
    """Five sign-ins a minute means five: the library's sliding window floored the
    previous minute's share (4.98 of 5 counted as 4) and let a sixth through right after
    the minute turned."""
    from jobgraph import ratelimit
    from jobgraph.ratelimit import RateLimited, RateLimiter

    now = [1_800_000_059.7]  # the last 0.3 s of a minute (windows start on multiples of 60)
    monkeypatch.setattr(
        ratelimit, "time", SimpleNamespace(time=lambda: now[0], monotonic=lambda: now[0])
    )
    limiter = RateLimiter()
    for _ in range(5):
        await limiter.hit("5/minute", "account", message="Too many.")
    now[0] += 0.6  # the next minute, 0.3 s in
    with pytest.raises(RateLimited) as refused:
        await limiter.hit("5/minute", "account", message="Too many.")
    # The five weigh less as the minute goes on: one more fits once they weigh 4, when
    # 48 s of the sliding minute lie past them (11.7 s from now).
    assert refused.value.retry_after == 12
    assert "Try again in 12 seconds" in str(refused.value)
    now[0] += 11.6
    with pytest.raises(RateLimited):
        await limiter.hit("5/minute", "account", message="Too many.")
    now[0] += 0.2
    await limiter.hit("5/minute", "account", message="Too many.")
    await limiter.hit("5/minute", "another account", message="Too many.")  # each key its own


async def test_a_refused_hit_is_told_when_the_next_one_fits_not_when_a_count_changes(
    monkeypatch,
):
    """Five sign-ins spent as a minute begins still weigh five as the next minute begins:
    the sixth fits 72 s after them, not 60 (the library's reset time, after which the
    client was refused again)."""
    from jobgraph import ratelimit
    from jobgraph.ratelimit import RateLimited, RateLimiter

    now = [1_800_000_000.1]  # 0.1 s into a minute
    monkeypatch.setattr(
        ratelimit, "time", SimpleNamespace(time=lambda: now[0], monotonic=lambda: now[0])
    )
    limiter = RateLimiter()
    for _ in range(5):
        await limiter.hit("5/minute", "account", message="Too many.")
    with pytest.raises(RateLimited) as refused:
        await limiter.hit("5/minute", "account", message="Too many.")
    assert refused.value.retry_after == 72
    now[0] += 71.8
    with pytest.raises(RateLimited):
        await limiter.hit("5/minute", "account", message="Too many.")
    now[0] += 0.2
    await limiter.hit("5/minute", "account", message="Too many.")


@pytest.mark.needs("redis")
async def test_processes_counting_in_redis_are_told_the_same_wait():
    """Where Redis counts, a window starts with its key's first hit: five hits at once
    leave the sixth about 72 s to wait (60 if the library's reset time were told)."""
    from jobgraph.ratelimit import RateLimited, RateLimiter

    first, second = RateLimiter(empty_redis_or_skip()), RateLimiter(REDIS)
    try:
        for limiter in (first, second, first, second, first):
            await limiter.hit("5/minute", "account", message="Too many.")
        with pytest.raises(RateLimited) as refused:
            await second.hit("5/minute", "account", message="Too many.")
        assert 60 < refused.value.retry_after <= 72
        assert not first.redis.away and not second.redis.away
    finally:
        await first.close()
        await second.close()


def hits_in_redis(limit: str, *key: str) -> int:
    """The current window's count of ``key`` against ``limit``, as Redis holds it."""
    import redis
    from limits import parse

    counted = redis.Redis.from_url(REDIS).hget(
        f"jobgraph:rate:{parse(limit).key_for(*key)}", "current"
    )
    return int(counted or 0)


@pytest.mark.needs("redis")
async def test_a_process_leases_a_tenth_of_a_high_limit_and_gives_back_what_it_did_not_use():
    """Requests a minute per address: a hit counts a tenth of the limit more in Redis, and
    the next hits of that address in this process make no call (Redis's count does not
    move); what the lease did not use goes back when it ends."""
    from jobgraph.ratelimit import RateLimiter

    empty_redis_or_skip()
    limiter = RateLimiter(REDIS, lease_s=3600)
    key = ("anonymous", "jobboard", "198.51.100.1")
    try:
        await limiter.hit("1000/minute", *key, message="Too many.")
        assert hits_in_redis("1000/minute", *key) == 1 + 100
        for _ in range(50):
            await limiter.hit("1000/minute", *key, message="Too many.")
        assert hits_in_redis("1000/minute", *key) == 1 + 100
        limiter.end_leases()
        await limiter.all_returned()
        assert hits_in_redis("1000/minute", *key) == 51
    finally:
        await limiter.close()

    briefly = RateLimiter(REDIS, lease_s=0.05)
    try:
        await briefly.hit("1000/minute", *key, message="Too many.")
        assert hits_in_redis("1000/minute", *key) == 51 + 1 + 100
        await briefly.all_returned()  # the lease ended on its own
        assert hits_in_redis("1000/minute", *key) == 52
        # Sign-ins (five a minute) are never leased: each is counted where it happens.
        await briefly.hit("5/minute", "account", message="Too many.")
        assert hits_in_redis("5/minute", "account") == 1
    finally:
        await briefly.close()


@pytest.mark.needs("redis")
async def test_a_burst_of_one_callers_requests_asks_redis_once_and_shares_its_lease():
    """Fifty requests of one address at once, no lease held: one call counts a hit and
    leases a tenth of the limit, and the other requests spend that lease (each asking on
    its own leased a tenth each, handing back the one before)."""
    from jobgraph.ratelimit import RateLimiter

    empty_redis_or_skip()
    limiter = RateLimiter(REDIS, lease_s=3600)
    key = ("anonymous", "jobboard", "198.51.100.7")
    try:
        await asyncio.gather(
            *(limiter.hit("1000/minute", *key, message="Too many.") for _ in range(50))
        )
        assert hits_in_redis("1000/minute", *key) == 1 + 100
        limiter.end_leases()
        await limiter.all_returned()
        assert hits_in_redis("1000/minute", *key) == 50
    finally:
        await limiter.close()


@pytest.mark.needs("redis")
async def test_hits_leased_in_a_window_that_has_turned_go_back_to_it_as_the_previous_one():
    import redis
    from limits import parse

    from jobgraph.ratelimit import RateLimiter

    empty_redis_or_skip()
    limiter = RateLimiter(REDIS, lease_s=3600)
    key = ("anonymous", "jobboard", "198.51.100.1")
    window = f"jobgraph:rate:{parse('1000/minute').key_for(*key)}"
    try:
        await limiter.hit("1000/minute", *key, message="Too many.")  # 1 and a lease of 100
        await limiter.hit("1000/minute", *key, message="Too many.")  # from the lease
        # The minute turns (as the next hit would find it): its 101 become the previous.
        client = redis.Redis.from_url(REDIS)
        start = float(client.hget(window, "start"))
        client.hset(window, mapping={"start": repr(start + 60), "previous": 101, "current": 0})
        limiter.end_leases()
        await limiter.all_returned()
        assert int(client.hget(window, "previous")) == 101 - 99
        assert int(client.hget(window, "current")) == 0
    finally:
        await limiter.close()


@pytest.mark.needs("redis")
async def test_near_its_limit_every_hit_is_counted_in_redis_by_every_process():
    """No lease where the window lacks room for two beyond the hit: every process counts
    there, so the limit holds exactly across them; hits one process still holds leased
    count as spent for the others (stricter, never looser) until they come back."""
    from jobgraph.ratelimit import RateLimited, RateLimiter

    empty_redis_or_skip()
    first, second = RateLimiter(REDIS, lease_s=3600), RateLimiter(REDIS, lease_s=3600)
    key = ("anonymous", "jobboard", "198.51.100.1")
    try:
        await first.hit("100/minute", *key, message="Too many.")  # 1 and a lease of 10
        for _ in range(89):  # leases while there is room, then hit by hit
            await second.hit("100/minute", *key, message="Too many.")
        with pytest.raises(RateLimited):  # 100 counted, 10 of them the first's lease, unused
            await second.hit("100/minute", *key, message="Too many.")
        first.end_leases()
        await first.all_returned()
        await second.hit("100/minute", *key, message="Too many.")
    finally:
        await first.close()
        await second.close()
