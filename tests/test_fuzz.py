"""Property-based fuzzing of the API (hypothesis-graphql) as several viewers: whatever the
query, no response is a 500, and no response carries a value the policy withholds from
that viewer. The canaries are the demo seekers' phone numbers and e-mail addresses, and
the job board's last employers, which no viewer below may see (none is an applicant's
employer, the owner, or staff with a purpose)."""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes, queries

from jobgraph.graphql.schema import schema

# Contact details are never shown to these viewers anywhere; the job board's last
# employers never (the community site makes work history with employers public).
CANARIES = re.compile(r"\+81-[89]0-0000-\d{4}|seeker\d+@|Last Employer jobboard")
SCALARS = {
    "DateTime": st.just("2026-01-01T00:00:00Z").map(nodes.String),
    "Date": st.just("1990-01-01").map(nodes.String),
    "JSON": st.just("{}").map(nodes.String),
    "UUID": st.just("00000000-0000-0000-0000-000000000000").map(nodes.String),
}
QUERIES = queries(schema.as_str(), custom_scalars=SCALARS)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


async def viewers(api) -> dict[str, dict]:
    employer = (await api.sign_in("employer@jobboard.test", "jobboard"))["accessToken"]
    admin = (await api.sign_in("admin@community.test", "community"))["accessToken"]
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
