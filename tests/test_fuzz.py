"""Property-based fuzzing of the API (hypothesis-graphql) as several viewers: whatever the
query, no response is a 500, and no response carries a value the policy withholds from
that viewer. The canaries are the demo seekers' phone numbers and e-mail addresses, and
the job board's last employers, which no viewer below may see (none is an applicant's
employer, the owner, or staff with a purpose)."""

import base64
import re

from hypothesis import given
from hypothesis import strategies as st
from hypothesis_graphql import queries

from jobgraph.graphql.schema import schema
from tests.support.generated import SCALARS, against_the_app

# Contact details are never shown to these viewers anywhere; the job board's last
# employers never (the community site makes work history with employers public).
CANARIES = re.compile(r"\+81-[89]0-0000-\d{4}|seeker\d+@|Last Employer jobboard")
QUERIES = queries(schema.as_str(), custom_scalars=SCALARS)
FUZZ = against_the_app(60)


async def viewers(api) -> dict[str, dict]:
    employer = (await api.sign_in("employer@jobboard.test", "jobboard"))["accessToken"]
    admin = (await api.staff_sign_in("admin@community.test", "community"))["accessToken"]
    key = (
        await api.data(
            'mutation { createSiteKey(name: "fuzz") { key } }', tenant="community", token=admin
        )
    )["createSiteKey"]["key"]
    return {
        "anonymous on jobboard": {"tenant": "jobboard"},
        "anonymous on community": {"tenant": "community"},
        "employer on jobboard": {"tenant": "jobboard", "token": employer},
        "admin without purpose on community": {"tenant": "community", "token": admin},
        "site key on community": {
            "tenant": "community",
            "headers": {"X-Site-Key": key, "Origin": "https://www.community-jobs.test"},
        },
    }


class Viewers:
    cache: dict | None = None


@FUZZ
@given(query=QUERIES)
async def test_no_query_crashes_or_leaks_a_canary(api, query):
    if Viewers.cache is None or Viewers.cache.get("_api") is not api:
        Viewers.cache = {"_api": api, **await viewers(api)}
    for name, credentials in Viewers.cache.items():
        if name == "_api":
            continue
        response = await api.post(query, **credentials)
        assert response.status_code < 500, (name, query, response.text[:500])
        body = response.text
        if '"INTERNAL"' in body:
            raise AssertionError((name, query, body[:500]))
        leak = CANARIES.search(body)
        assert leak is None, (name, query, leak.group(0) if leak else None)


TEXT = st.text(st.characters(codec="utf-8"), max_size=40) | st.just("\x00")
STRING_ARGUMENTS = [
    ("query($v: String) { jobs(search: $v) { totalCount } }", lambda v: {"v": v}),
    ("query($v: [String!]) { jobs(filter: {tags: $v}) { totalCount } }", lambda v: {"v": [v]}),
    (
        "mutation($v: String!) { login(email: $v, password: $v) { accessToken } }",
        lambda v: {"v": v},
    ),
    ("query($v: ID!) { job(id: $v) { id } }", lambda v: {"v": v}),
]


def no_crash(response) -> None:
    assert response.status_code < 500, response.text[:500]
    assert '"INTERNAL"' not in response.text, response.text[:500]


@FUZZ
@given(value=TEXT, which=st.sampled_from(STRING_ARGUMENTS))
async def test_no_string_argument_crashes_the_service(api, value, which):
    query, variables = which
    no_crash(await api.post(query, variables(value), tenant="jobboard"))


def _segment(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


TOKENS = st.text(st.characters(codec="ascii", exclude_characters="\r\n"), max_size=80) | st.builds(
    lambda header, claims, signature: ".".join(
        [_segment(header.encode()), _segment(claims.encode()), _segment(signature)]
    ),
    st.sampled_from(['{"alg":"ES256","kid":"x"}', '{"alg":"none"}', "{}", "[", '{"alg":1}']),
    st.sampled_from(['{"sub":"x","typ":"account","aud":"jobboard"}', "{}", "null", "1"]),
    st.binary(max_size=64),
)


@FUZZ
@given(token=TOKENS)
async def test_no_token_crashes_the_service(api, token):
    response = await api.http.post(
        "/graphql",
        json={"query": "{ tenant { slug } }"},
        headers={"X-Tenant": "jobboard", "Authorization": f"Bearer {token}"},
    )
    no_crash(response)
    assert response.status_code in (200, 401)


@FUZZ
@given(depth=st.integers(1, 30_000), opener=st.sampled_from(["[", '{"a":']))
async def test_no_nesting_of_json_crashes_the_service(api, depth, opener):
    closer = "]" if opener == "[" else "}"
    variables = opener * depth + ("1" if opener != "[" else "") + closer * depth
    response = await api.http.post(
        "/graphql",
        content='{"query": "{ tenant { slug } }", "variables": {"v": ' + variables + "}}",
        headers={"X-Tenant": "jobboard", "Content-Type": "application/json"},
    )
    no_crash(response)
