"""Accounts over HTTP: registration, sign-in, pools, password rules, sessions."""

import pytest

from jobgraph.demo import DEMO_OPERATOR, DEMO_PASSWORD
from jobgraph.identity.accounts import WRONG_CREDENTIALS
from tests.conftest import LOGIN, code_in, error_code
from tests.support.accounts import CONFIRM, confirmed, register
from tests.support.employers import new_company

ME = "{ me { email fullName isTenantAdmin memberships { companyName role } } }"
REFRESH = (
    """mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }"""
)


async def test_register_confirm_then_sign_in_and_ask_who_i_am(api, outbox):
    body = await register(api, "jobboard", "Ann@Example.org")
    assert body["data"]["register"]["message"].startswith("Check your e-mail")
    unconfirmed = await api.graphql(
        LOGIN, {"email": "ann@example.org", "password": "a-long-passphrase-42"}, tenant="jobboard"
    )
    assert error_code(unconfirmed) == "UNAUTHENTICATED"
    [mail] = await outbox("ann@example.org", "CONFIRM_ADDRESS")
    tokens = (await api.data(CONFIRM, {"t": code_in(mail["body"])}, tenant="jobboard"))[
        "confirmRegistration"
    ]
    assert tokens["expiresIn"] == 900 and tokens["refreshToken"].startswith("rt_")
    again = await api.graphql(CONFIRM, {"t": code_in(mail["body"])}, tenant="jobboard")
    assert error_code(again) == "BAD_USER_INPUT", "a code signs in once"
    forged = await api.graphql(CONFIRM, {"t": code_in(mail["body"])[:-2] + "xx"}, tenant="jobboard")
    assert error_code(forged) == "BAD_USER_INPUT"
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


async def test_an_address_is_unique_within_a_pool_not_across_pools(api, outbox):
    await confirmed(api, outbox, "jobboard", "bo@example.org")
    again = await register(api, "kansai-jobs", "BO@example.org")  # partner: same pool
    assert "errors" not in again, "the same answer as for a new address"
    assert [mail["kind"] for mail in await outbox("bo@example.org")] == [
        "CONFIRM_ADDRESS",
        "ACCOUNT_EXISTS",
    ]
    await confirmed(api, outbox, "community", "bo@example.org", full_name="Bo")  # own pool


async def test_registration_does_not_tell_whether_an_address_has_an_account(api, outbox):
    known = await register(api, "jobboard", "seeker3@jobboard.test", password="x-long-phrase-77")
    unknown = await register(api, "jobboard", "nobody3@jobboard.test", password="x-long-phrase-77")
    assert known["data"]["register"]["message"] == unknown["data"]["register"]["message"]
    assert "errors" not in known and "errors" not in unknown
    # Neither can sign in with the password just chosen: one is unconfirmed, one not theirs.
    for email in ("seeker3@jobboard.test", "nobody3@jobboard.test"):
        body = await api.graphql(
            LOGIN, {"email": email, "password": "x-long-phrase-77"}, tenant="jobboard"
        )
        assert body["errors"][0]["message"] == WRONG_CREDENTIALS
    [exists] = await outbox("seeker3@jobboard.test", "ACCOUNT_EXISTS")
    assert "already have an account" in exists["body"]
    assert await api.sign_in("seeker3@jobboard.test", "jobboard"), "the owner's password stands"


async def test_a_partner_site_shares_its_main_sites_accounts(api, outbox):
    await confirmed(api, outbox, "jobboard", "cy@example.org")
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
    # Five a minute: the sixth fits within a minute and the 12 s the five still weigh
    # more than four in the next (tests/test_limits.py pins when).
    assert 1 <= body["errors"][0]["extensions"]["retryAfter"] <= 72
    # Another account from the same address is still allowed to try.
    assert (await api.sign_in("seeker3@jobboard.test", "jobboard"))["accessToken"]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "at least 10 characters"),
        ("aaaaaaaaaaaa", "too easy to guess"),
        ("password123", "too easy to guess"),
        ("1234567890a", "This is a very common password."),
        ("Password2026", "similar to a commonly used password"),
        ("jobboard2026", "too easy to guess"),  # the site's own name and a year
        ("JapanJobBoard2026", "too easy to guess"),
        ("dee-dee-secret-99", "must not contain your e-mail address"),
    ],
)
async def test_the_password_policy_says_what_is_wrong(api, password, message):
    body = await register(api, "jobboard", "dee@example.org", password=password)
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "password"
    assert message in body["errors"][0]["message"]
    if "guess" in message:
        assert "a few unrelated words" in body["errors"][0]["message"].lower()


async def test_a_strong_password_is_accepted_and_a_weak_new_one_refused(api):
    assert "errors" not in await register(api, "jobboard", "fay@example.org", "tulip-ledger-orbit")
    token = (await api.sign_in("seeker4@jobboard.test", "jobboard"))["accessToken"]
    change = """mutation($c: String!, $n: String!) {
      changePassword(currentPassword: $c, newPassword: $n) }"""
    weak = await api.graphql(
        change, {"c": DEMO_PASSWORD, "n": "Jobboard123!"}, tenant="jobboard", token=token
    )
    assert error_code(weak) == "BAD_USER_INPUT"
    assert "too easy to guess" in weak["errors"][0]["message"]


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
    admin = await api.staff_sign_in("admin@jobboard.test", "jobboard")
    assert (await api.data(ME, tenant="jobboard", token=admin["accessToken"]))["me"][
        "isTenantAdmin"
    ] is True
    # Admin of the main site is not admin of its partner site.
    on_partner = await api.staff_sign_in("admin@jobboard.test", "kansai-jobs")
    assert (await api.data(ME, tenant="kansai-jobs", token=on_partner["accessToken"]))["me"][
        "isTenantAdmin"
    ] is False


async def test_permissions_hold_through_aliases_and_fragments(api):
    query = "{ ...Q } fragment Q on Query { a: siteKeys { id } ... on Query { b: me { email } } }"
    body = await api.graphql(query, tenant="jobboard")
    assert {error["extensions"]["code"] for error in body["errors"]} == {"UNAUTHENTICATED"}
    assert body["data"] is None


ACCEPT = "mutation($t: String!) { acceptCompanyInvitation(token: $t) { name } }"


async def test_an_employer_creates_a_company_and_invites_a_member_who_accepts(api, outbox):
    owner = (await api.sign_in("seeker9@jobboard.test", "jobboard"))["accessToken"]
    company_id = await new_company(api, owner, "Tanuki Labs KK")
    add = """mutation($c: ID!, $e: String!) { addCompanyMember(companyId: $c, email: $e) }"""
    outsider = (await api.sign_in("seeker10@jobboard.test", "jobboard"))["accessToken"]
    refused = await api.graphql(
        add, {"c": company_id, "e": "seeker10@jobboard.test"}, tenant="jobboard", token=outsider
    )
    assert error_code(refused) == "FORBIDDEN"
    for email in ("seeker10@jobboard.test", "no-account-yet@example.org"):
        answer = await api.graphql(
            add, {"c": company_id, "e": email}, tenant="jobboard", token=owner
        )
        assert answer.keys() == {"data", "extensions"}, "the same whether or not known"
        assert answer["data"] == {"addCompanyMember": True}
    me = (await api.data(ME, tenant="jobboard", token=outsider))["me"]
    assert me["memberships"] == [], "nobody joins without their own act"

    [invitation] = await outbox("seeker10@jobboard.test", "COMPANY_INVITATION")
    assert "Tanuki Labs KK" in invitation["subject"]
    code = code_in(invitation["body"])
    someone_else = (await api.sign_in("seeker11@jobboard.test", "jobboard"))["accessToken"]
    stolen = await api.graphql(ACCEPT, {"t": code}, tenant="jobboard", token=someone_else)
    assert error_code(stolen) == "BAD_USER_INPUT", "only the invited address may accept"
    joined = await api.data(ACCEPT, {"t": code}, tenant="jobboard", token=outsider)
    assert joined == {"acceptCompanyInvitation": {"name": "Tanuki Labs KK"}}
    me = (await api.data(ME, tenant="jobboard", token=outsider))["me"]
    assert me["memberships"] == [{"companyName": "Tanuki Labs KK", "role": "MEMBER"}]
    assert len(await outbox("no-account-yet@example.org", "COMPANY_INVITATION")) == 1


OPERATOR_LOGIN = """mutation($e: String!, $p: String!, $c: String! = "000000") {
  operatorLogin(email: $e, password: $p, code: $c) { accessToken } }"""


async def test_operator_sign_in_does_the_same_work_for_an_unknown_address(api, monkeypatch):
    from jobgraph.identity import accounts

    checked: list[str] = []
    real = accounts.verify_password

    def counting(stored: str, password: str) -> bool:
        checked.append(password)
        return real(stored, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    for email in (DEMO_OPERATOR, "nobody-here@jobgraph.test"):
        body = await api.graphql(OPERATOR_LOGIN, {"e": email, "p": "wrong"}, tenant="jobboard")
        assert error_code(body) == "UNAUTHENTICATED"
    # One Argon2 check each: the unknown address is checked against a stand-in hash.
    assert checked == ["wrong", "wrong"]


async def test_operator_sign_in_attempts_count_across_every_site(api):
    sites = ["jobboard", "community", "kansai-jobs", "jobboard", "community", "jobboard"]
    codes = []
    for site in sites:
        body = await api.graphql(OPERATOR_LOGIN, {"e": DEMO_OPERATOR, "p": "wrong"}, tenant=site)
        codes.append(error_code(body))
    # Five a minute for the one operator account, whichever site the attempts come through.
    assert codes == ["UNAUTHENTICATED"] * 5 + ["RATE_LIMITED"]
