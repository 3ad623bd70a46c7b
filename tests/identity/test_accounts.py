"""Accounts over HTTP: registration, sign-in, pools, password rules, sessions."""

import pytest

from tests.conftest import LOGIN, error_code

REGISTER = """mutation($input: RegisterInput!) {
  register(input: $input) { accessToken refreshToken expiresIn }
}"""
ME = "{ me { email fullName isTenantAdmin memberships { companyName role } } }"
REFRESH = (
    """mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }"""
)


async def register(api, tenant, email, password="a-long-passphrase-42", full_name="Ann Seeker"):
    """Register as a seeker who read and accepted the site's documents in force."""
    documents = await api.data("{ legalDocuments { id } }", tenant=tenant)
    accepted = [document["id"] for document in documents["legalDocuments"]]
    return await api.graphql(
        REGISTER,
        {
            "input": {
                "email": email,
                "password": password,
                "fullName": full_name,
                "acceptedDocumentIds": accepted,
            }
        },
        tenant=tenant,
    )


async def test_register_then_sign_in_and_ask_who_i_am(api):
    body = await register(api, "jobboard", "Ann@Example.org")
    tokens = body["data"]["register"]
    assert tokens["expiresIn"] == 900 and tokens["refreshToken"].startswith("rt_")
    me = (await api.data(ME, tenant="jobboard", token=tokens["accessToken"]))["me"]
    assert me == {
        "email": "Ann@Example.org",
        "fullName": "Ann Seeker",
        "isTenantAdmin": False,
        "memberships": [],
    }

    signed_in = await api.sign_in("ann@example.org", "jobboard", "a-long-passphrase-42")
    me = (await api.data(ME, tenant="jobboard", token=signed_in["accessToken"]))["me"]
    assert me["email"] == "Ann@Example.org"


async def test_an_address_is_unique_within_a_pool_not_across_pools(api):
    assert "errors" not in await register(api, "jobboard", "bo@example.org")
    again = await register(api, "kansai-jobs", "BO@example.org")  # partner: same pool
    assert error_code(again) == "BAD_USER_INPUT"
    assert again["errors"][0]["extensions"]["field"] == "email"
    assert "already exists" in again["errors"][0]["message"]
    assert "errors" not in await register(api, "community", "bo@example.org")  # own pool


async def test_a_partner_site_shares_its_main_sites_accounts(api):
    await register(api, "jobboard", "cy@example.org")
    tokens = await api.sign_in("cy@example.org", "kansai-jobs", "a-long-passphrase-42")
    me = (await api.data(ME, tenant="kansai-jobs", token=tokens["accessToken"]))["me"]
    assert me["email"] == "cy@example.org"
    refused = await api.graphql(
        LOGIN, {"email": "cy@example.org", "password": "a-long-passphrase-42"}, tenant="community"
    )
    assert error_code(refused) == "UNAUTHENTICATED"


async def test_wrong_password_and_unknown_address_get_the_same_answer(api):
    wrong = await api.graphql(
        LOGIN, {"email": "seeker1@jobboard.test", "password": "nope-nope-1"}, tenant="jobboard"
    )
    unknown = await api.graphql(
        LOGIN, {"email": "ghost@jobboard.test", "password": "nope-nope-1"}, tenant="jobboard"
    )
    assert wrong["errors"][0]["message"] == unknown["errors"][0]["message"]
    assert error_code(wrong) == error_code(unknown) == "UNAUTHENTICATED"


async def test_sign_in_is_rate_limited_per_account(api):
    for _ in range(5):
        body = await api.graphql(
            LOGIN, {"email": "seeker2@jobboard.test", "password": "x" * 12}, tenant="jobboard"
        )
        assert error_code(body) == "UNAUTHENTICATED"
    body = await api.graphql(
        LOGIN, {"email": "seeker2@jobboard.test", "password": "x" * 12}, tenant="jobboard"
    )
    assert error_code(body) == "RATE_LIMITED"
    assert 1 <= body["errors"][0]["extensions"]["retryAfter"] <= 60
    # Another account from the same address is still allowed to try.
    assert (await api.sign_in("seeker3@jobboard.test", "jobboard"))["accessToken"]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "at least 10 characters"),
        ("aaaaaaaaaaaa", "too easy to guess"),
        ("password123", "too easy to guess"),
        ("dee-dee-secret-99", "must not contain your e-mail address"),
    ],
)
async def test_the_password_policy_says_what_is_wrong(api, password, message):
    body = await register(api, "jobboard", "dee@example.org", password=password)
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "password"
    assert message in body["errors"][0]["message"]


async def test_the_community_site_asks_for_a_full_name(api):
    body = await register(api, "community", "eve@example.org", full_name=None)
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "fullName"
    assert "errors" not in await register(api, "jobboard", "eve@example.org", full_name=None)


async def test_refresh_rotates_and_a_reused_token_ends_the_whole_session(api):
    first = await api.sign_in("seeker4@jobboard.test", "jobboard")
    second = (await api.data(REFRESH, {"t": first["refreshToken"]}, tenant="jobboard"))[
        "refreshToken"
    ]
    assert second["refreshToken"] != first["refreshToken"]
    assert (await api.data(ME, tenant="jobboard", token=second["accessToken"]))["me"]

    replay = await api.graphql(REFRESH, {"t": first["refreshToken"]}, tenant="jobboard")
    assert error_code(replay) == "UNAUTHENTICATED"
    assert "already used" in replay["errors"][0]["message"]
    # The thief's replay revoked the family: the legitimate newer pair is dead too.
    later = await api.graphql(REFRESH, {"t": second["refreshToken"]}, tenant="jobboard")
    assert error_code(later) == "UNAUTHENTICATED"
    response = await api.post(ME, tenant="jobboard", token=second["accessToken"])
    assert response.status_code == 401
    assert "signed out" in response.json()["errors"][0]["message"]


async def test_a_refresh_token_works_only_on_its_own_site(api):
    tokens = await api.sign_in("seeker5@jobboard.test", "jobboard")
    body = await api.graphql(REFRESH, {"t": tokens["refreshToken"]}, tenant="kansai-jobs")
    assert error_code(body) == "UNAUTHENTICATED"


async def test_logout_ends_the_access_and_the_refresh_token(api):
    tokens = await api.sign_in("seeker6@jobboard.test", "jobboard")
    assert (await api.data("mutation { logout }", tenant="jobboard", token=tokens["accessToken"]))[
        "logout"
    ] is True
    assert (await api.post(ME, tenant="jobboard", token=tokens["accessToken"])).status_code == 401
    body = await api.graphql(REFRESH, {"t": tokens["refreshToken"]}, tenant="jobboard")
    assert error_code(body) == "UNAUTHENTICATED"


async def test_changing_the_password_signs_out_the_other_sessions(api):
    here = await api.sign_in("seeker7@jobboard.test", "jobboard")
    elsewhere = await api.sign_in("seeker7@jobboard.test", "jobboard")
    change = """mutation($c: String!, $n: String!) {
      changePassword(currentPassword: $c, newPassword: $n) }"""
    wrong = await api.graphql(
        change,
        {"c": "not-my-password", "n": "brand-new-secret-77"},
        tenant="jobboard",
        token=here["accessToken"],
    )
    assert error_code(wrong) == "BAD_USER_INPUT"
    await api.data(
        change,
        {"c": "demo-password-2026", "n": "brand-new-secret-77"},
        tenant="jobboard",
        token=here["accessToken"],
    )
    assert (await api.post(ME, tenant="jobboard", token=here["accessToken"])).status_code == 200
    assert (
        await api.post(ME, tenant="jobboard", token=elsewhere["accessToken"])
    ).status_code == 401
    old = await api.graphql(
        LOGIN,
        {"email": "seeker7@jobboard.test", "password": "demo-password-2026"},
        tenant="jobboard",
    )
    assert error_code(old) == "UNAUTHENTICATED"
    assert await api.sign_in("seeker7@jobboard.test", "jobboard", "brand-new-secret-77")


async def test_me_shows_roles_that_are_data(api):
    employer = await api.sign_in("employer@jobboard.test", "jobboard")
    me = (await api.data(ME, tenant="jobboard", token=employer["accessToken"]))["me"]
    assert [m["role"] for m in me["memberships"]] == ["OWNER"]
    admin = await api.sign_in("admin@jobboard.test", "jobboard")
    assert (await api.data(ME, tenant="jobboard", token=admin["accessToken"]))["me"][
        "isTenantAdmin"
    ] is True
    # Admin of the main site is not admin of its partner site.
    on_partner = await api.sign_in("admin@jobboard.test", "kansai-jobs")
    assert (await api.data(ME, tenant="kansai-jobs", token=on_partner["accessToken"]))["me"][
        "isTenantAdmin"
    ] is False


async def test_granting_and_revoking_tenant_admin_takes_effect_at_once(api):
    admin = (await api.sign_in("admin@jobboard.test", "jobboard"))["accessToken"]
    seeker = (await api.sign_in("seeker8@jobboard.test", "jobboard"))["accessToken"]
    keys = "{ siteKeys { id } }"
    assert error_code(await api.graphql(keys, tenant="jobboard", token=seeker)) == "FORBIDDEN"
    await api.data(
        'mutation { grantTenantAdmin(email: "seeker8@jobboard.test") }',
        tenant="jobboard",
        token=admin,
    )
    assert "errors" not in await api.graphql(keys, tenant="jobboard", token=seeker)
    await api.data(
        'mutation { revokeTenantAdmin(email: "seeker8@jobboard.test") }',
        tenant="jobboard",
        token=admin,
    )
    assert error_code(await api.graphql(keys, tenant="jobboard", token=seeker)) == "FORBIDDEN"


async def test_permissions_hold_through_aliases_and_fragments(api):
    query = "{ ...Q } fragment Q on Query { a: siteKeys { id } ... on Query { b: me { email } } }"
    body = await api.graphql(query, tenant="jobboard")
    assert {error["extensions"]["code"] for error in body["errors"]} == {"UNAUTHENTICATED"}
    assert body["data"] is None


async def test_an_employer_creates_a_company_and_adds_a_member(api):
    owner = (await api.sign_in("seeker9@jobboard.test", "jobboard"))["accessToken"]
    created = await api.data(
        'mutation { createCompany(input: {name: "Tanuki Labs KK"}) { id name } }',
        tenant="jobboard",
        token=owner,
    )
    company_id = created["createCompany"]["id"]
    add = """mutation($c: ID!, $e: String!) { addCompanyMember(companyId: $c, email: $e) }"""
    outsider = (await api.sign_in("seeker10@jobboard.test", "jobboard"))["accessToken"]
    refused = await api.graphql(
        add, {"c": company_id, "e": "seeker10@jobboard.test"}, tenant="jobboard", token=outsider
    )
    assert error_code(refused) == "FORBIDDEN"
    await api.data(
        add, {"c": company_id, "e": "seeker10@jobboard.test"}, tenant="jobboard", token=owner
    )
    me = (await api.data(ME, tenant="jobboard", token=outsider))["me"]
    assert me["memberships"] == [{"companyName": "Tanuki Labs KK", "role": "MEMBER"}]
