"""Input an attacker would send: each gets a clear refusal with a stable code, never a 500
or an INTERNAL error."""

import json
import uuid
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobgraph.hygiene import forbidden_character
from tests.conftest import database_name, error_code
from tests.support.employers import CREATE, employer_of
from tests.support.generated import against_the_app


async def test_deeply_nested_json_is_a_bad_request(api):
    body = "[" * 20_000 + "]" * 20_000
    response = await api.http.post(
        "/graphql",
        content=body,
        headers={"X-Tenant": "jobboard", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    message = response.json()["errors"][0]["message"]
    assert message == "The request nests JSON more than 32 levels deep."
    nested_variables = '{"query": "{ tenant { slug } }", "variables": {"a": ' + "[" * 20_000
    nested_variables += "]" * 20_000 + "}}"
    response = await api.http.post(
        "/graphql",
        content=nested_variables,
        headers={"X-Tenant": "jobboard", "Content-Type": "application/json"},
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($s: String) { jobs(search: $s) { totalCount } }", {"s": "caf\x00e"}),
        (
            "query($t: [String!]) { jobs(filter: {tags: $t}) { totalCount } }",
            {"t": ["a\x00"]},
        ),
        (
            'mutation($e: String!) { login(email: $e, password: "x") { accessToken } }',
            {"e": "seeker1@jobboard.test\x00"},
        ),
        (
            'mutation($p: String!) { login(email: "seeker1@jobboard.test", password: $p) '
            "{ accessToken } }",
            {"p": "pass\x00word"},
        ),
    ],
)
async def test_a_nul_byte_in_a_string_argument_is_bad_user_input(api, query, variables):
    body = await api.graphql(query, variables, tenant="jobboard")
    assert error_code(body) == "BAD_USER_INPUT", body
    assert "NUL" in body["errors"][0]["message"]


async def test_a_nul_byte_in_a_literal_is_bad_user_input_too(api):
    body = await api.graphql('{ jobs(search: "a\\u0000b") { totalCount } }', tenant="jobboard")
    assert error_code(body) == "BAD_USER_INPUT"


async def test_a_nul_client_id_on_the_token_endpoint_is_a_bad_request(api):
    response = await api.http.post(
        "/oauth/token",
        content="grant_type=client_credentials&client_id=%00&client_secret=x",
        headers={"X-Tenant": "jobboard", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_request", "invalid_client")


async def test_a_signed_token_whose_subject_is_not_an_id_is_refused(api):
    services = api.app.state.services
    account = {"pool": "jobboard", "typ": "account"}
    token = await services.tokens.issue(subject="not-a-uuid", audience="jobboard", extra=account)
    response = await api.post("{ tenant { slug } }", tenant="jobboard", token=token)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    session = await services.tokens.issue(
        subject=str(uuid.uuid4()), audience="jobboard", extra={**account, "sid": "x"}
    )
    assert (
        await api.post("{ tenant { slug } }", tenant="jobboard", token=session)
    ).status_code == 401


async def test_a_field_that_records_beside_one_that_reads_is_no_crash(api):
    # Found by the fuzz test: explainAccess (a query that writes its record) began its
    # transaction while `me` was still reading, which once expired `me`'s account.
    admin = (await api.staff_sign_in("admin@community.test", "community"))["accessToken"]
    body = await api.graphql(
        '{ me { email isTenantAdmin } explainAccess(seekerEmail: "seeker2@community.test", '
        'path: APPLICATION, purpose: "a support request") { note } }',
        tenant="community",
        token=admin,
    )
    assert body["data"]["me"]["email"] == "admin@community.test", body
    assert "errors" not in body or all(
        error["extensions"]["code"] != "INTERNAL" for error in body["errors"]
    ), body


SCRIPT_BREAKER = "</script><script>alert(document.domain)</script> & <b>"


@pytest.mark.parametrize(
    ("title", "character"),
    [
        ("Engineer\x07", "U+0007"),  # a C0 control
        ("Engineer\x1b[31m", "U+001B"),  # a terminal escape
        ("Engineer\ufffe", "U+FFFE"),  # a noncharacter
        ("Engineer\U0010ffff", "U+10FFFF"),
    ],
)
async def test_text_no_writer_can_carry_is_refused_at_the_door(api, title, character):
    employer = await employer_of(api, "jobboard")
    body = await api.graphql(
        CREATE,
        {
            "input": {
                "companyId": employer.company_id,
                "title": title,
                "description": "Work.",
                "category": "ENGINEERING",
                "employmentType": "FULL_TIME",
            }
        },
        tenant="jobboard",
        token=employer.token,
    )
    assert error_code(body) == "BAD_USER_INPUT"
    assert character in body["errors"][0]["message"]
    code_point = int(character[2:], 16)
    literal = await api.graphql(
        f'{{ jobs(search: "a\\u{{{code_point:x}}}") {{ totalCount }} }}', tenant="jobboard"
    )
    assert error_code(literal) == "BAD_USER_INPUT", "escaped in the document's own strings too"


async def test_tab_line_breaks_and_emoji_are_text(api):
    employer = await employer_of(api, "jobboard")
    job_id = await employer.post(title="Chef\tde cuisine 🍣", description="Line one\r\nLine two")
    found = await api.data(
        "query($id: ID!) { job(id: $id) { title } }", {"id": job_id}, tenant="jobboard"
    )
    assert found["job"]["title"] == "Chef\tde cuisine 🍣"
    escaped = await api.graphql(
        '{ jobs(search: "\\uD83C\\uDF63") { totalCount } }', tenant="jobboard"
    )
    assert "errors" not in escaped, "a surrogate pair escaped is one character"


async def test_a_title_cannot_end_the_script_a_page_embeds_its_json_ld_in(api):
    employer = await employer_of(api, "jobboard")
    job_id = await employer.post(title=SCRIPT_BREAKER)
    served = await api.http.get(f"/jobs/{job_id}/jsonld", headers={"X-Tenant": "jobboard"})
    by_field = await api.data(
        "query($id: ID!) { job(id: $id) { jsonLdScript } }", {"id": job_id}, tenant="jobboard"
    )
    for text in (served.text, by_field["job"]["jsonLdScript"]):
        page = f'<html><head><script type="application/ld+json">{text}</script></head></html>'
        scripts = ScriptContents()
        scripts.feed(page)
        [content] = scripts.found  # one script, whole: the title did not end it
        assert json.loads(content)["title"] == SCRIPT_BREAKER


class ScriptContents(HTMLParser):
    """What each <script> element of a page holds, as a browser reads it."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._inside = False

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._inside = True
            self.found.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._inside = False

    def handle_data(self, data):
        if self._inside:
            self.found[-1] += data


@pytest.mark.parametrize(
    "website", ["javascript:alert(1)", "data:text/html,<b>x</b>", "//evil.test", "www.x.jp"]
)
async def test_a_company_website_is_a_web_address(api, website):
    token = (await api.sign_in("seeker26@jobboard.test", "jobboard"))["accessToken"]
    body = await api.graphql(
        'mutation($w: String) { createCompany(input: {name: "Kappa KK", website: $w}) { id } }',
        {"w": website},
        tenant="jobboard",
        token=token,
    )
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "website"


async def test_text_stored_before_the_rules_cannot_break_the_feed(
    api, reconfigure, database_server, database
):
    await reconfigure({"kansai-jobs": {"policy": {"job_url_template": "https://k.test/jobs/{id}"}}})
    kansai = await employer_of(api, "kansai-jobs")
    job_id = await kansai.post(title="Old title")
    connection = await database_server.admin(database_name(database))
    try:
        await connection.execute(
            "UPDATE job_postings SET title = E'Old\\x01 title\\uFFFE', description = "
            "E'a ]]> b' WHERE id = $1",
            uuid.UUID(job_id),
        )
    finally:
        await connection.close()
    feed = await api.http.get("/feeds/indeed.xml", headers={"X-Tenant": "kansai-jobs"})
    root = ElementTree.fromstring(feed.content)  # well-formed, or this raises
    titles = [job.findtext("title") for job in root.iter("job")]
    assert "Old title" in titles


async def test_another_companys_application_is_answered_as_if_it_did_not_exist(api):
    owner = await employer_of(api, "jobboard")
    job_id = await owner.post(title="Harbour clerk")
    seeker = (await api.sign_in("seeker27@jobboard.test", "jobboard"))["accessToken"]
    applied = await api.data(
        "mutation($j: ID!) { applyToJob(jobId: $j) { id } }",
        {"j": job_id},
        tenant="jobboard",
        token=seeker,
    )
    stranger = await employer_of(api, "kansai-jobs")  # the same pool, another company
    move = "mutation($id: ID!) { moveApplication(id: $id, status: REVIEWING) { id } }"
    theirs = await api.graphql(
        move, {"id": applied["applyToJob"]["id"]}, tenant="kansai-jobs", token=stranger.token
    )
    unknown = await api.graphql(
        move, {"id": str(uuid.uuid4())}, tenant="kansai-jobs", token=stranger.token
    )
    assert error_code(theirs) == error_code(unknown) == "NOT_FOUND"
    assert job_id not in theirs["errors"][0]["message"], "nothing of the posting is named"


HOSTILE_TEXT = st.one_of(
    st.text(min_size=1, max_size=40),
    st.sampled_from(
        [
            "</script>",
            "]]>",
            "<![CDATA[x",
            "&amp; &#0; &",
            "\"'<>",
            "\u2028\u2029",
            "\x00",
            "\ufffe",
            "a\x0bb",
            "\U0001f363 寿司 \t tab",
            "\\u003c/script>",
        ]
    ),
    st.builds(lambda a, b: a + b, st.text(max_size=10), st.sampled_from(["</script>", "]]>"])),
)


@pytest.fixture
async def published_site(database, serve, reconfigure):
    await reconfigure({"jobboard": {"policy": {"job_url_template": "https://j.test/jobs/{id}"}}})
    async with serve(database) as api:
        yield api, await employer_of(api, "jobboard")


@against_the_app(25)
@given(title=HOSTILE_TEXT)
async def test_any_text_is_refused_clearly_or_leaves_every_output_whole(published_site, title):
    """Whatever a posting's title holds: refused with BAD_USER_INPUT, or stored and then
    the JSON-LD pasted in a page is one script holding it, and the feed and the sitemap
    parse as XML."""
    api, employer = published_site
    body = await api.graphql(
        CREATE,
        {
            "input": {
                "companyId": employer.company_id,
                "title": title,
                "description": title,
                "category": "ENGINEERING",
                "employmentType": "FULL_TIME",
            }
        },
        tenant="jobboard",
        token=employer.token,
    )
    if forbidden_character(title) is not None or not title.strip():
        assert error_code(body) == "BAD_USER_INPUT", body
        return
    assert "errors" not in body, body
    job_id = body["data"]["createJob"]["id"]
    await api.data(
        "mutation($id: ID!) { publishJob(id: $id) { id } }",
        {"id": job_id},
        tenant="jobboard",
        token=employer.token,
    )
    stored = (
        await api.data(
            "query($id: ID!) { job(id: $id) { title jsonLdScript } }",
            {"id": job_id},
            tenant="jobboard",
        )
    )["job"]
    scripts = ScriptContents()
    scripts.feed(f'<script type="application/ld+json">{stored["jsonLdScript"]}</script>')
    [content] = scripts.found
    assert json.loads(content)["title"] == stored["title"]
    for path in ("/feeds/indeed.xml", "/sitemap.xml"):
        response = await api.http.get(path, headers={"X-Tenant": "jobboard"})
        assert response.status_code == 200, path
        ElementTree.fromstring(response.content)  # well-formed, or this raises
