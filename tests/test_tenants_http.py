"""Tenant resolution over HTTP: by hostname, by X-Tenant, and refusal of unknown tenants."""

import asyncio

import pytest

from jobgraph.db.listening import LISTENER_NAME
from tests.conftest import database_name, error_code

TENANT_QUERY = (
    "{ tenant { slug name isPartnerSite parentSlug branding { siteName primaryColor locale } } }"
)


@pytest.mark.parametrize(
    ("host", "slug", "site_name", "colour", "partner"),
    [
        ("jobboard.localhost", "jobboard", "Japan Job Board", "#1f4e79", False),
        ("www.jobboard.test", "jobboard", "Japan Job Board", "#1f4e79", False),
        (
            "kansai.jobboard.localhost:8000",
            "kansai-jobs",
            "Kansai Jobs — powered by Japan Job Board",
            "#7a1f3d",
            True,
        ),
        ("community.localhost", "community", "Nihon Community Jobs", "#2e7d32", False),
    ],
)
async def test_each_demo_tenant_answers_by_hostname_with_its_own_branding(
    api, host, slug, site_name, colour, partner
):
    body = await api.graphql(TENANT_QUERY, host=host)
    tenant = body["data"]["tenant"]
    assert tenant["slug"] == slug
    assert tenant["branding"]["siteName"] == site_name
    assert tenant["branding"]["primaryColor"] == colour
    assert tenant["isPartnerSite"] is partner
    assert tenant["parentSlug"] == ("jobboard" if partner else None)


async def test_hostname_match_ignores_case_and_trailing_dot(api):
    body = await api.graphql(TENANT_QUERY, host="Community.LOCALHOST.")
    assert body["data"]["tenant"]["slug"] == "community"


async def test_x_tenant_header_selects_the_tenant_whatever_the_host(api):
    body = await api.graphql(TENANT_QUERY, host="testserver", tenant="kansai-jobs")
    assert body["data"]["tenant"]["slug"] == "kansai-jobs"


async def test_unknown_host_is_refused_with_a_graphql_shaped_404(api):
    response = await api.post(TENANT_QUERY, host="evil.example.com")
    assert response.status_code == 404
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "TENANT_UNKNOWN"
    assert "evil.example.com" in error["message"]
    assert "data" not in response.json()


async def test_unknown_x_tenant_slug_is_refused_even_on_a_known_host(api):
    response = await api.post(TENANT_QUERY, host="jobboard.localhost", tenant="nobody")
    assert response.status_code == 404
    assert response.json()["errors"][0]["extensions"]["code"] == "TENANT_UNKNOWN"


async def test_public_policy_reflects_each_seed_policy(api):
    query = """{ tenant { publicPolicy { resumeVisibilities defaultResumeVisibility
        publicProfileFields applicationDisclosedFields thirdPartyDisclosure
        signupRequiresFullName } } }"""
    board = (await api.graphql(query, tenant="jobboard"))["data"]["tenant"]["publicPolicy"]
    community = (await api.graphql(query, tenant="community"))["data"]["tenant"]["publicPolicy"]

    assert board["resumeVisibilities"] == ["PRIVATE", "SEARCHABLE"]
    assert board["publicProfileFields"] == []
    assert "PHONE" in board["applicationDisclosedFields"]
    assert board["thirdPartyDisclosure"] == "LAW_ONLY"

    assert community["defaultResumeVisibility"] == "PUBLIC"
    assert "EMAIL" in community["applicationDisclosedFields"]
    assert "EMAIL" not in community["publicProfileFields"]
    assert "PHONE" not in community["applicationDisclosedFields"]
    assert community["thirdPartyDisclosure"] == "CONSENT_OR_LAW"
    assert community["signupRequiresFullName"] is True


async def test_validation_errors_carry_a_code_and_a_helpful_message(api):
    body = await api.graphql("{ tenant { nmae } }", tenant="jobboard")
    error = body["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "nmae" in error["message"]


async def test_syntax_errors_carry_the_parse_code(api):
    body = await api.graphql("{ tenant { ", tenant="jobboard")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_a_tenant_query_costs_no_statement_once_the_registry_is_read(api):
    await api.graphql(TENANT_QUERY, tenant="jobboard")  # the first request loads the registry
    before = api.statements.count
    await api.graphql(TENANT_QUERY, tenant="jobboard")
    # PostgreSQL announces changes to the registry: until one comes, no need to ask.
    assert api.statements.count - before == 0


async def test_a_tenant_file_change_shows_on_the_next_request_without_restart(api, reconfigure):
    assert (await api.data(TENANT_QUERY, tenant="community"))["tenant"]["branding"][
        "primaryColor"
    ] == "#2e7d32"
    await reconfigure({"community": {"branding": {"primary_color": "#123456"}}})
    assert (await api.data(TENANT_QUERY, tenant="community"))["tenant"]["branding"][
        "primaryColor"
    ] == "#123456"


async def test_a_variable_of_the_wrong_shape_is_bad_user_input(api):
    body = await api.graphql(
        "query($first: Int) { jobs(first: $first) { totalCount } }",
        {"first": "ten"},
        tenant="jobboard",
    )
    assert error_code(body) == "BAD_USER_INPUT"
    assert "$first" in body["errors"][0]["message"]


async def test_a_change_made_elsewhere_is_announced_and_shows_next(api, database, database_server):
    search = "{ jobs(first: 1, sort: NEWEST) { edges { node { id title } } } }"
    [edge] = (await api.data(search, tenant="jobboard"))["jobs"]["edges"]
    rename = (
        f"UPDATE job_postings SET title = 'Renamed elsewhere' WHERE id = '{edge['node']['id']}'"
    )
    async with api.announced():  # another process's write, announced by PostgreSQL
        await database_server.execute(rename, database=database_name(database))
    [edge] = (await api.data(search, tenant="jobboard"))["jobs"]["edges"]
    assert edge["node"]["title"] == "Renamed elsewhere"


async def test_without_its_listening_connection_the_registry_is_read_each_request(
    api, database, database_server
):
    registry = api.app.state.services.registry
    await api.data(TENANT_QUERY, tenant="jobboard")
    assert registry.listening
    await database_server.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE application_name = '{LISTENER_NAME}' AND datname = '{database_name(database)}'"
    )
    # The termination reaches the client a moment later.
    await asyncio.wait_for(registry.until_listening(False), 10)
    # Not listening: every request asks, so a change elsewhere still shows at once.
    before = api.statements.count
    await api.data(TENANT_QUERY, tenant="jobboard")
    assert api.statements.count - before == 1
    # It listens again by itself.
    await asyncio.wait_for(registry.until_listening(True), 10)
