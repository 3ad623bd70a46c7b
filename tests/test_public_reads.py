"""Public reads over GET: cacheable by browsers, CDNs and the service itself, with ETags
that change exactly when the data they show does; everything else stays private."""

from datetime import UTC, datetime, timedelta

import pytest
from graphql import get_named_type, is_leaf_type
from sqlalchemy import text

from jobgraph.graphql.public_reads import PRIVATE_FIELDS, PUBLIC_ROOTS, PUBLIC_TYPES
from jobgraph.graphql.schema import schema
from jobgraph.jobs.postings import announce_expired
from jobgraph.permissions import JobsRead, TenantRead
from tests.support.employers import PUBLISH, employer_of

PAGE = "{ jobs(first: 3, sort: NEWEST) { edges { node { id title company { name } } } } }"


@pytest.fixture
async def cached_api(database, serve, reconfigure):
    await reconfigure({"jobboard": {"policy": {"api": {"public_cache_max_age_s": 60}}}})
    async with serve(database) as api:
        yield api


async def get(api, query, headers=None):
    """A GET on the site's own hostname, as a browser or a CDN sends it."""
    return await api.http.get(
        "/graphql",
        params={"query": query},
        headers={"Host": "jobboard.localhost", **(headers or {})},
    )


async def test_a_public_read_is_cacheable_and_repeats_cost_no_statement(cached_api):
    api = cached_api
    first = await get(api, PAGE)
    assert first.status_code == 200 and "errors" not in first.json()
    assert first.headers["cache-control"] == "public, max-age=60"
    etag = first.headers["etag"]
    before = api.statements.count
    again = await get(api, PAGE)
    assert api.statements.count - before == 0  # no session; the registry is current
    assert again.content == first.content and again.headers["etag"] == etag
    before = api.statements.count
    unchanged = await get(api, PAGE, {"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert api.statements.count - before == 0


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/graphql", {"query": PAGE}),
        ("/schema.graphql", {}),
    ],
)
async def test_an_answer_chosen_by_x_tenant_is_never_shared_by_a_cache(cached_api, path, params):
    """A CDN in front keys by the address: the main site's answer, asked on the partner's
    host with X-Tenant, must not be kept for the partner's visitors."""
    response = await cached_api.http.get(
        path, params=params, headers={"Host": "kansai.jobboard.localhost", "X-Tenant": "jobboard"}
    )
    assert response.status_code == 200
    assert "public" not in response.headers.get("cache-control", "")
    assert "X-Tenant" in response.headers["vary"]
    on_its_host = await cached_api.http.get(
        path, params=params, headers={"Host": "jobboard.localhost"}
    )
    if path == "/graphql":  # the main site's own answer stays shareable
        assert on_its_host.headers["cache-control"] == "public, max-age=60"


async def test_the_etag_changes_when_a_posting_changes(cached_api):
    api = cached_api
    etag = (await get(api, PAGE)).headers["etag"]
    employer = await employer_of(api, "jobboard")
    await employer.post(title="Harbour pilot")
    fresh = await get(api, PAGE, {"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["etag"] != etag
    assert "Harbour pilot" in fresh.text


async def data_version(api, pool):
    async with api.app.state.services.sessions() as db:
        version = await db.scalar(
            text("SELECT version FROM pool_data_versions WHERE pool_id = :pool"), {"pool": pool}
        )
    return version


async def test_a_postings_bookkeeping_changes_no_etag(cached_api):
    """The periodic work marks each expired posting as announced, which no read shows: the
    pool's data version (and with it every ETag, kept result and facet index) stays. A
    change a read shows still moves it."""
    api = cached_api
    services = api.app.state.services
    etag = (await get(api, PAGE)).headers["etag"]
    version = await data_version(api, "jobboard")
    later = datetime.now(UTC) + timedelta(days=400)  # past every posting's expiry
    assert await announce_expired(services.sessions, await services.registry.current(), later)
    assert await data_version(api, "jobboard") == version
    assert (await get(api, PAGE, {"If-None-Match": etag})).status_code == 304

    employer = await employer_of(api, "jobboard")
    draft = await employer.post(publish=False, title="Harbour pilot")
    version = await data_version(api, "jobboard")
    await api.data(PUBLISH, {"id": draft}, tenant="jobboard", token=employer.token)
    assert await data_version(api, "jobboard") > version


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("{ publicProfiles(first: 2) { skills } }", {}),  # resumes: recorded, never cached
        ("{ jobs(first: 2) { edges { node { viewCount } } } }", {}),  # a company's own
        (PAGE, {"Authorization": "Bearer x"}),  # a viewer's own answer
        ("{ jobs(first: 500) { totalCount } }", {}),  # an error: not kept
    ],
)
async def test_everything_else_is_private(cached_api, query, headers):
    response = await get(cached_api, query, headers)
    assert response.headers["cache-control"] == "private, no-store"
    assert "etag" not in response.headers


async def test_posts_and_sites_without_a_max_age_are_private(api):
    posted = await api.post(PAGE, tenant="jobboard")
    assert posted.headers["cache-control"] == "private, no-store"
    assert (await get(api, PAGE)).headers["cache-control"] == "private, no-store"


def test_the_public_types_hold_no_personal_data_and_nothing_a_viewer_changes():
    graphql_schema = schema._schema
    public_permissions = {JobsRead, TenantRead}
    for type_name in PUBLIC_TYPES:
        fields = graphql_schema.get_type(type_name).fields
        for name, field in fields.items():
            if type_name == "Query" and name not in PUBLIC_ROOTS:
                continue
            if (type_name, name) in PRIVATE_FIELDS:
                continue
            named = get_named_type(field.type)
            assert is_leaf_type(named) or named.name in PUBLIC_TYPES, (type_name, name)
            definition = field.extensions["strawberry-definition"]
            assert set(definition.permission_classes) <= public_permissions, (type_name, name)
    # What is public is no person's: nothing reachable names a resume or an account.
    for type_name in PUBLIC_TYPES:
        assert not any(word in type_name for word in ("Resume", "Account", "Application"))
