"""Partner sites: public site keys from browsers, confidential clients from servers, and
the secrets that must never come back."""

import logging

import httpx
import pytest

from jobgraph.app import create_app
from tests.conftest import TEST_SETTINGS, Api, error_code
from tests.support.accounts import admin_token
from tests.support.partners import CREATE_KEY, ORIGIN, client, client_token, site_key
from tests.support.servers import REDIS_SERVER, empty_redis_or_skip

TENANT = "{ tenant { slug } }"


async def test_a_site_key_reads_public_data_from_an_allowed_origin(api):
    key = (await site_key(api))["key"]
    body = await api.data(TENANT, tenant="jobboard", headers={"X-Site-Key": key, "Origin": ORIGIN})
    assert body["tenant"]["slug"] == "jobboard"


async def test_a_site_key_is_refused_from_a_foreign_origin(api):
    key = (await site_key(api))["key"]
    for origin in ("https://evil.example", None):
        headers = {"X-Site-Key": key} | ({"Origin": origin} if origin else {})
        response = await api.post(TENANT, tenant="jobboard", headers=headers)
        assert response.status_code == 403
        assert error_code(response.json()) == "FORBIDDEN"


async def test_a_site_key_is_refused_for_non_public_operations(api):
    key = (await site_key(api))["key"]
    headers = {"X-Site-Key": key, "Origin": ORIGIN}
    for operation in (
        "{ me { email } }",
        "{ siteKeys { id } }",
        'mutation { login(email: "a@b.cd", password: "x") { accessToken } }',
    ):
        body = await api.graphql(operation, tenant="jobboard", headers=headers)
        assert error_code(body) == "FORBIDDEN", operation
        assert "partner-site keys" in body["errors"][0]["message"]


async def test_a_site_key_of_one_site_is_unknown_on_another(api):
    key = (await site_key(api))["key"]
    response = await api.post(
        TENANT, tenant="kansai-jobs", headers={"X-Site-Key": key, "Origin": ORIGIN}
    )
    assert response.status_code == 401


async def test_a_revoked_site_key_stops_working_at_once(api):
    created = await site_key(api)
    await api.data(
        "mutation($id: ID!) { revokeSiteKey(id: $id) { revokedAt } }",
        {"id": created["id"]},
        tenant="jobboard",
        token=await admin_token(api),
    )
    response = await api.post(
        TENANT, tenant="jobboard", headers={"X-Site-Key": created["key"], "Origin": ORIGIN}
    )
    assert response.status_code == 401


async def test_site_keys_are_rate_limited_per_key(database, serve, reconfigure):
    await reconfigure({"jobboard": {"policy": {"api": {"site_key_requests_per_minute": 3}}}})
    async with serve(database) as api:
        key = (await site_key(api))["key"]
        headers = {"X-Site-Key": key, "Origin": ORIGIN}
        statuses = [
            (await api.post(TENANT, tenant="jobboard", headers=headers)).status_code
            for _ in range(4)
        ]
        response = await api.post(TENANT, tenant="jobboard", headers=headers)
    assert statuses == [200, 200, 200, 429]
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert error_code(response.json()) == "RATE_LIMITED"


async def test_client_credentials_with_and_without_the_needed_scope(api):
    _, reader, reader_secret = await client(api, ["TENANT_READ"])
    _, jobs_only, jobs_secret = await client(api, ["JOBS_READ"])

    response = await client_token(api, reader, reader_secret)
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["token_type"] == "Bearer" and token["scope"] == "tenant:read"
    body = await api.data(TENANT, tenant="jobboard", token=token["access_token"])
    assert body["tenant"]["slug"] == "jobboard"

    other = (await client_token(api, jobs_only, jobs_secret)).json()["access_token"]
    body = await api.graphql(TENANT, tenant="jobboard", token=other)
    assert error_code(body) == "FORBIDDEN"
    assert "tenant:read" in body["errors"][0]["message"]
    # A client is never a person: no sign-in operations, no account data.
    assert (
        error_code(
            await api.graphql("{ me { email } }", tenant="jobboard", token=token["access_token"])
        )
        == "FORBIDDEN"
    )


async def test_the_token_endpoint_refuses_bad_credentials(api):
    _, client_id, _ = await client(api, ["TENANT_READ"])
    wrong = await client_token(api, client_id, "cs_wrong")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    unknown = await client_token(api, "cl_nobody", "cs_wrong")
    assert unknown.status_code == 401
    other_site = await client_token(api, client_id, "cs_wrong", tenant="community")
    assert other_site.status_code == 401
    form = await api.http.post(
        "/oauth/token", json={"grant_type": "client_credentials"}, headers={"X-Tenant": "jobboard"}
    )
    assert form.status_code == 400


async def test_a_revoked_client_and_its_tokens_stop_working(api):
    row_id, client_id, secret = await client(api, ["TENANT_READ"])
    token = (await client_token(api, client_id, secret)).json()["access_token"]
    await api.data(
        "mutation($id: ID!) { revokeOAuthClient(id: $id) { revokedAt } }",
        {"id": row_id},
        tenant="jobboard",
        token=await admin_token(api),
    )
    assert (await api.post(TENANT, tenant="jobboard", token=token)).status_code == 401
    assert (await client_token(api, client_id, secret)).status_code == 401


async def test_only_admins_of_the_site_and_operators_manage_credentials(api):
    seeker = (await api.sign_in("seeker1@jobboard.test", "jobboard"))["accessToken"]
    assert error_code(await api.graphql(CREATE_KEY, tenant="jobboard", token=seeker)) == "FORBIDDEN"
    assert error_code(await api.graphql(CREATE_KEY, tenant="jobboard")) == "UNAUTHENTICATED"
    partner_admin = (await api.staff_sign_in("admin@kansai-jobs.test", "jobboard"))["accessToken"]
    assert (
        error_code(await api.graphql("{ siteKeys { id } }", tenant="jobboard", token=partner_admin))
        == "FORBIDDEN"
    )
    operator = await api.operator_token()
    created = await api.data(CREATE_KEY, tenant="community", token=operator)
    assert created["createSiteKey"]["key"].startswith("pk_")


@pytest.mark.usefixtures("caplog")
async def test_secrets_never_appear_in_later_responses_or_in_logs(api, caplog):
    caplog.set_level(logging.DEBUG)
    _, client_id, secret = await client(api, ["TENANT_READ", "JOBS_READ"])
    access = (await client_token(api, client_id, secret)).json()["access_token"]
    tokens = await api.sign_in("seeker9@jobboard.test", "jobboard")
    await api.graphql(
        "mutation($t: String!) { refreshToken(refreshToken: $t) { expiresIn } }",
        {"t": tokens["refreshToken"]},
        tenant="jobboard",
    )
    listing = await api.post(
        "{ oauthClients { clientId scopes } }", tenant="jobboard", token=await admin_token(api)
    )
    assert client_id in listing.text and secret not in listing.text

    logged = "\n".join(record.getMessage() + str(record.args) for record in caplog.records)
    for value in (
        secret,
        access,
        tokens["refreshToken"],
        tokens["accessToken"],
        "demo-password-2026",
    ):
        assert value not in logged


@pytest.mark.needs("redis")
async def test_site_key_counters_are_shared_between_processes_through_redis(
    database, reconfigure, monkeypatch
):
    """Two app instances on one Redis count one key together."""
    redis_url = empty_redis_or_skip(f"{REDIS_SERVER}/13")
    await reconfigure({"jobboard": {"policy": {"api": {"site_key_requests_per_minute": 3}}}})
    settings = TEST_SETTINGS.model_copy(update={"redis_url": redis_url})
    first, second = create_app(settings, database), create_app(settings, database)
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        one, two = (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
            for app in (first, second)
        )
        async with one, two:
            admin = Api(first, one)
            key = (await site_key(admin))["key"]
            headers = {"X-Site-Key": key, "Origin": ORIGIN, "X-Tenant": "jobboard"}
            statuses = []
            for client in (one, two, one, two):
                response = await client.post("/graphql", json={"query": TENANT}, headers=headers)
                statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]


async def test_a_site_can_require_a_key_of_callers_that_are_not_signed_in(
    database, serve, reconfigure
):
    await reconfigure({"jobboard": {"policy": {"api": {"require_site_key": True}}}})
    async with serve(database) as api:
        keyless = await api.graphql("{ jobs(first: 1) { totalCount } }", tenant="jobboard")
        assert keyless["data"] is None
        assert error_code(keyless) == "UNAUTHENTICATED"
        assert "X-Site-Key" in keyless["errors"][0]["message"]
        # Signing in needs no key (it is how a person gets a token); then queries run.
        token = (await api.sign_in("seeker1@jobboard.test", "jobboard"))["accessToken"]
        assert "errors" not in await api.graphql(
            "{ jobs(first: 1) { totalCount } }", tenant="jobboard", token=token
        )
        key = (await site_key(api))["key"]
        with_key = await api.http.post(
            "/graphql",
            json={"query": "{ jobs(first: 1) { totalCount } }"},
            headers={"X-Tenant": "jobboard", "X-Site-Key": key, "Origin": ORIGIN},
        )
        assert "errors" not in with_key.json()
        # A way in alongside anything else is refused whole.
        mixed = await api.graphql(
            'mutation { login(email: "a@b.c", password: "x") { accessToken } '
            'createSiteKey(name: "x") { id } }',
            tenant="jobboard",
        )
        assert error_code(mixed) == "UNAUTHENTICATED"
        wrong_password = await api.graphql(
            'mutation { login(email: "seeker1@jobboard.test", password: "x") { accessToken } }',
            tenant="jobboard",
        )
        assert error_code(wrong_password) == "UNAUTHENTICATED"  # the login ran: wrong password
        assert "password is wrong" in wrong_password["errors"][0]["message"]


async def test_callers_without_a_key_are_limited_by_their_address(database, serve, reconfigure):
    await reconfigure({"jobboard": {"policy": {"api": {"anonymous_requests_per_minute": 5}}}})
    async with serve(database) as api:
        key = (await site_key(api))["key"]  # its admin's sign-in is one anonymous request
        answers = [await api.post("{ tenant { slug } }", tenant="jobboard") for _ in range(5)]
        assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
        assert answers[-1].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert int(answers[-1].headers["Retry-After"]) >= 1
        # Another site's visitors, and this site's key holders, are counted apart.
        assert (await api.post("{ tenant { slug } }", tenant="community")).status_code == 200
        keyed = await api.http.post(
            "/graphql",
            json={"query": "{ tenant { slug } }"},
            headers={"X-Tenant": "jobboard", "X-Site-Key": key, "Origin": ORIGIN},
        )
        assert keyed.status_code == 200
