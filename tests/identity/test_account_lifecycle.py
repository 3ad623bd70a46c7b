"""An account stays its owner's: whoever registers an address first gains nothing, a
forgotten password comes back through the address alone, every mailed code works once
and only while it is the newest, and roles come only with their holder's own act."""

from __future__ import annotations

import pyotp

from tests.conftest import LOGIN, code_in, database_name, demo_code, error_code
from tests.support.accounts import CONFIRM, admin_token, register
from tests.support.employers import new_company

ME = "{ me { email fullName isTenantAdmin memberships { companyName role } } }"
REQUEST_RESET = "mutation($e: String!) { requestPasswordReset(email: $e) { email message } }"
RESET = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }"
REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }"
OWNER_PASSWORD = "owners-own-phrase-2026"
ATTACKER_PASSWORD = "attackers-phrase-1999"


async def sign_in_fails(api, email: str, password: str, tenant: str = "jobboard") -> bool:
    body = await api.graphql(LOGIN, {"email": email, "password": password}, tenant=tenant)
    return error_code(body) == "UNAUTHENTICATED"


async def test_whoever_registers_an_address_first_gains_nothing(api, outbox):
    victim = "victim@example.org"
    await register(api, "kansai-jobs", victim, password=ATTACKER_PASSWORD, full_name="Mallory")
    assert await sign_in_fails(api, victim, ATTACKER_PASSWORD), "no account before a code"
    await register(api, "jobboard", victim, password=OWNER_PASSWORD, full_name="Vic Owner")
    attackers, owners = await outbox(victim, "CONFIRM_ADDRESS")
    # The attacker's registration was mailed to the owner too; it is now out of date.
    stale = await api.graphql(CONFIRM, {"t": code_in(attackers["body"])}, tenant="kansai-jobs")
    assert error_code(stale) == "BAD_USER_INPUT"
    assert "newer" in stale["errors"][0]["message"]
    tokens = (await api.data(CONFIRM, {"t": code_in(owners["body"])}, tenant="jobboard"))[
        "confirmRegistration"
    ]
    me = (await api.data(ME, tenant="jobboard", token=tokens["accessToken"]))["me"]
    assert me["fullName"] == "Vic Owner"
    # The owner writes a resume; the attacker's password opens nothing, on either site.
    await api.data(
        'mutation { saveResume(input: {phone: "+81 90 1111 2222"}) { visibility } }',
        tenant="jobboard",
        token=tokens["accessToken"],
    )
    for site in ("jobboard", "kansai-jobs"):
        assert await sign_in_fails(api, victim, ATTACKER_PASSWORD, site)
    assert await api.sign_in(victim, "kansai-jobs", OWNER_PASSWORD)
    # Registering again now only tells the owner; it changes nothing.
    await register(api, "jobboard", victim, password=ATTACKER_PASSWORD)
    assert [mail["kind"] for mail in await outbox(victim)][-1] == "ACCOUNT_EXISTS"
    assert await sign_in_fails(api, victim, ATTACKER_PASSWORD)


async def test_an_unconfirmed_account_from_before_is_completed_with_the_confirmed_credentials(
    api, outbox, database_server, database
):
    """Accounts registered before registrations waited for their code (the attacker's
    password in them) take the credentials of the registration that is confirmed."""
    connection = await database_server.admin(database_name(database))
    try:
        await connection.execute(
            "INSERT INTO accounts (pool_id, tenant_slug, email, email_normalized, "
            "password_hash, full_name, email_confirmed_at) SELECT pool_id, tenant_slug, "
            "'old@example.org', 'old@example.org', password_hash, 'Mallory', NULL "
            "FROM accounts WHERE email_normalized = 'seeker1@jobboard.test'"
        )
    finally:
        await connection.close()
    await register(api, "jobboard", "old@example.org", password=OWNER_PASSWORD, full_name="Old")
    [mail] = await outbox("old@example.org", "CONFIRM_ADDRESS")
    await api.data(CONFIRM, {"t": code_in(mail["body"])}, tenant="jobboard")
    assert await sign_in_fails(api, "old@example.org", "demo-password-2026")
    signed_in = await api.sign_in("old@example.org", "jobboard", OWNER_PASSWORD)
    me = (await api.data(ME, tenant="jobboard", token=signed_in["accessToken"]))["me"]
    assert me["fullName"] == "Old"


async def test_a_forgotten_password_is_reset_through_the_address_alone(api, outbox):
    email = "seeker12@jobboard.test"
    before = await api.sign_in(email, "jobboard")
    known = await api.data(REQUEST_RESET, {"e": email}, tenant="kansai-jobs")
    unknown = await api.data(REQUEST_RESET, {"e": "nobody12@jobboard.test"}, tenant="kansai-jobs")
    assert known["requestPasswordReset"]["message"] == unknown["requestPasswordReset"]["message"]
    assert await outbox("nobody12@jobboard.test") == []
    await api.data(REQUEST_RESET, {"e": email}, tenant="kansai-jobs")
    first, newest = await outbox(email, "RESET_PASSWORD")

    superseded = await api.graphql(
        RESET, {"t": code_in(first["body"]), "p": "a-fresh-phrase-4242"}, tenant="kansai-jobs"
    )
    assert error_code(superseded) == "BAD_USER_INPUT"
    weak = await api.graphql(
        RESET, {"t": code_in(newest["body"]), "p": "password1"}, tenant="kansai-jobs"
    )
    assert error_code(weak) == "BAD_USER_INPUT", "the rules of sign-up apply"
    await api.data(
        RESET, {"t": code_in(newest["body"]), "p": "a-fresh-phrase-4242"}, tenant="kansai-jobs"
    )
    used = await api.graphql(
        RESET, {"t": code_in(newest["body"]), "p": "another-phrase-4343"}, tenant="kansai-jobs"
    )
    assert error_code(used) == "BAD_USER_INPUT"
    assert "used already" in used["errors"][0]["message"]

    # Whoever held the account before is out: its sessions and refresh tokens end.
    assert error_code(await api.graphql(ME, tenant="jobboard", token=before["accessToken"])) == (
        "UNAUTHENTICATED"
    )
    stale = await api.graphql(REFRESH, {"t": before["refreshToken"]}, tenant="jobboard")
    assert error_code(stale) == "UNAUTHENTICATED"
    assert await sign_in_fails(api, email, "demo-password-2026")
    assert await api.sign_in(email, "jobboard", "a-fresh-phrase-4242")
    [notice] = await outbox(email, "PASSWORD_CHANGED")
    assert "was changed" in notice["subject"]


async def test_an_expired_reset_code_is_refused(api, outbox, database_server, database):
    await api.data(REQUEST_RESET, {"e": "seeker13@jobboard.test"}, tenant="jobboard")
    [mail] = await outbox("seeker13@jobboard.test", "RESET_PASSWORD")
    connection = await database_server.admin(database_name(database))
    try:
        await connection.execute(
            "UPDATE mailed_codes SET expires_at = now() - interval '1 second' "
            "WHERE purpose = 'reset-password'"
        )
    finally:
        await connection.close()
    expired = await api.graphql(
        RESET, {"t": code_in(mail["body"]), "p": "a-fresh-phrase-4242"}, tenant="jobboard"
    )
    assert error_code(expired) == "BAD_USER_INPUT"
    assert "expired" in expired["errors"][0]["message"]
    assert await api.sign_in("seeker13@jobboard.test", "jobboard")


REQUEST_CHANGE = """mutation($e: String!, $p: String!) {
  requestEmailChange(newEmail: $e, currentPassword: $p) { message } }"""
CONFIRM_CHANGE = "mutation($t: String!) { confirmEmailChange(token: $t) { email } }"


async def test_an_address_moves_only_once_the_new_one_confirms(api, outbox):
    old, new = "seeker14@jobboard.test", "moved14@example.org"
    token = (await api.sign_in(old, "jobboard"))["accessToken"]
    wrong = await api.graphql(
        REQUEST_CHANGE, {"e": new, "p": "not-my-password-1"}, tenant="jobboard", token=token
    )
    assert error_code(wrong) == "BAD_USER_INPUT"
    await api.data(
        REQUEST_CHANGE, {"e": new, "p": "demo-password-2026"}, tenant="jobboard", token=token
    )
    [notice] = await outbox(old, "EMAIL_CHANGE_REQUESTED")
    assert new not in notice["body"], "the notice shows enough to recognise, no more"
    [mail] = await outbox(new, "CONFIRM_NEW_ADDRESS")
    someone_else = (await api.sign_in("seeker15@jobboard.test", "jobboard"))["accessToken"]
    stolen = await api.graphql(
        CONFIRM_CHANGE, {"t": code_in(mail["body"])}, tenant="jobboard", token=someone_else
    )
    assert error_code(stolen) == "BAD_USER_INPUT"
    moved = await api.data(
        CONFIRM_CHANGE, {"t": code_in(mail["body"])}, tenant="jobboard", token=token
    )
    assert moved == {"confirmEmailChange": {"email": new}}
    again = await api.graphql(
        CONFIRM_CHANGE, {"t": code_in(mail["body"])}, tenant="jobboard", token=token
    )
    assert error_code(again) == "BAD_USER_INPUT"
    assert await sign_in_fails(api, old, "demo-password-2026")
    assert await api.sign_in(new, "jobboard")
    assert len(await outbox(old, "EMAIL_CHANGED")) == 1
    # A taken address gets a note, not a code; the answer does not tell.
    await api.data(
        REQUEST_CHANGE,
        {"e": "seeker15@jobboard.test", "p": "demo-password-2026"},
        tenant="jobboard",
        token=token,
    )
    assert await outbox("seeker15@jobboard.test", "CONFIRM_NEW_ADDRESS") == []
    assert len(await outbox("seeker15@jobboard.test", "EMAIL_CHANGE_REFUSED")) == 1


INVITE = """mutation($c: ID!, $e: String!, $r: MemberRole!) {
  addCompanyMember(companyId: $c, email: $e, role: $r) }"""
ACCEPT = "mutation($t: String!) { acceptCompanyInvitation(token: $t) { name } }"
CHANGE_ROLE = """mutation($c: ID!, $e: String!, $r: MemberRole!) {
  changeCompanyMemberRole(companyId: $c, email: $e, role: $r) }"""
REMOVE = "mutation($c: ID!, $e: String!) { removeCompanyMember(companyId: $c, email: $e) }"
LEAVE = "mutation($c: ID!) { leaveCompany(companyId: $c) }"


async def memberships(api, token: str) -> list[dict]:
    return (await api.data(ME, tenant="jobboard", token=token))["me"]["memberships"]


async def test_an_invitation_works_once_and_only_the_newest(api, outbox):
    owner = (await api.sign_in("seeker16@jobboard.test", "jobboard"))["accessToken"]
    company = await new_company(api, owner, "Kitsune KK")
    x, x_email = (
        (await api.sign_in("seeker17@jobboard.test", "jobboard"))["accessToken"],
        ("seeker17@jobboard.test"),
    )
    await api.data(
        INVITE, {"c": company, "e": x_email, "r": "OWNER"}, tenant="jobboard", token=owner
    )
    [as_owner] = await outbox(x_email, "COMPANY_INVITATION")
    await api.data(ACCEPT, {"t": code_in(as_owner["body"])}, tenant="jobboard", token=x)
    assert await memberships(api, x) == [{"companyName": "Kitsune KK", "role": "OWNER"}]

    # Demoted, X replays the first code: it worked once, and works no more.
    await api.data(
        CHANGE_ROLE, {"c": company, "e": x_email, "r": "MEMBER"}, tenant="jobboard", token=owner
    )
    replay = await api.graphql(ACCEPT, {"t": code_in(as_owner["body"])}, tenant="jobboard", token=x)
    assert error_code(replay) == "BAD_USER_INPUT"
    assert await memberships(api, x) == [{"companyName": "Kitsune KK", "role": "MEMBER"}]

    # Removed, with an invitation sent meanwhile as owner: neither brings X back.
    await api.data(
        INVITE, {"c": company, "e": x_email, "r": "OWNER"}, tenant="jobboard", token=owner
    )
    await api.data(
        INVITE, {"c": company, "e": x_email, "r": "MEMBER"}, tenant="jobboard", token=owner
    )
    _, older, newest = await outbox(x_email, "COMPANY_INVITATION")
    assert "as owner" in older["body"] and "as member" in newest["body"]
    superseded = await api.graphql(
        ACCEPT, {"t": code_in(older["body"])}, tenant="jobboard", token=x
    )
    assert error_code(superseded) == "BAD_USER_INPUT"
    await api.data(REMOVE, {"c": company, "e": x_email}, tenant="jobboard", token=owner)
    withdrawn = await api.graphql(
        ACCEPT, {"t": code_in(newest["body"])}, tenant="jobboard", token=x
    )
    assert error_code(withdrawn) == "BAD_USER_INPUT"
    assert await memberships(api, x) == []


async def test_a_member_leaves_and_the_last_owner_stays(api, outbox):
    owner = (await api.sign_in("seeker18@jobboard.test", "jobboard"))["accessToken"]
    company = await new_company(api, owner, "Tengu GK")
    alone = await api.graphql(LEAVE, {"c": company}, tenant="jobboard", token=owner)
    assert error_code(alone) == "BAD_USER_INPUT"
    assert "keeps at least one owner" in alone["errors"][0]["message"]
    demoted = await api.graphql(
        CHANGE_ROLE,
        {"c": company, "e": "seeker18@jobboard.test", "r": "MEMBER"},
        tenant="jobboard",
        token=owner,
    )
    assert error_code(demoted) == "BAD_USER_INPUT"
    member = (await api.sign_in("seeker19@jobboard.test", "jobboard"))["accessToken"]
    await api.data(
        INVITE,
        {"c": company, "e": "seeker19@jobboard.test", "r": "MEMBER"},
        tenant="jobboard",
        token=owner,
    )
    [mail] = await outbox("seeker19@jobboard.test", "COMPANY_INVITATION")
    await api.data(ACCEPT, {"t": code_in(mail["body"])}, tenant="jobboard", token=member)
    refused = await api.graphql(
        REMOVE, {"c": company, "e": "seeker18@jobboard.test"}, tenant="jobboard", token=member
    )
    assert error_code(refused) == "FORBIDDEN", "a member manages nobody"
    await api.data(LEAVE, {"c": company}, tenant="jobboard", token=member)
    assert await memberships(api, member) == []
    assert await memberships(api, owner) == [{"companyName": "Tengu GK", "role": "OWNER"}]


GRANT = "mutation($e: String!) { grantTenantAdmin(email: $e) }"
REVOKE = "mutation($e: String!) { revokeTenantAdmin(email: $e) }"
ACCEPT_ADMIN = "mutation($t: String!) { acceptTenantAdmin(token: $t) { isTenantAdmin } }"
SITE_KEYS = "{ siteKeys { id } }"


async def test_a_site_admin_is_made_only_by_accepting_an_invitation(api, outbox):
    admin = await admin_token(api)
    for email in ("seeker20@jobboard.test", "nobody20@example.org"):
        for mutation in (GRANT, REVOKE, GRANT):
            body = await api.graphql(mutation, {"e": email}, tenant="jobboard", token=admin)
            assert "errors" not in body, "the same answer whatever the address"
    seeker = (await api.sign_in("seeker20@jobboard.test", "jobboard"))["accessToken"]
    denied = await api.graphql(SITE_KEYS, tenant="jobboard", token=seeker)
    assert error_code(denied) == "FORBIDDEN", "nobody is an admin without their own act"

    withdrawn, invitation = await outbox("seeker20@jobboard.test", "SITE_ADMIN_INVITATION")
    revoked = await api.graphql(
        ACCEPT_ADMIN, {"t": code_in(withdrawn["body"])}, tenant="jobboard", token=seeker
    )
    assert error_code(revoked) == "BAD_USER_INPUT", "a revoked invitation is void"
    someone_else = (await api.sign_in("seeker21@jobboard.test", "jobboard"))["accessToken"]
    stolen = await api.graphql(
        ACCEPT_ADMIN, {"t": code_in(invitation["body"])}, tenant="jobboard", token=someone_else
    )
    assert error_code(stolen) == "BAD_USER_INPUT"
    on_partner = (await api.sign_in("seeker20@jobboard.test", "kansai-jobs"))["accessToken"]
    elsewhere = await api.graphql(
        ACCEPT_ADMIN, {"t": code_in(invitation["body"])}, tenant="kansai-jobs", token=on_partner
    )
    assert error_code(elsewhere) == "BAD_USER_INPUT", "an invitation names its site"
    accepted = await api.data(
        ACCEPT_ADMIN, {"t": code_in(invitation["body"])}, tenant="jobboard", token=seeker
    )
    assert accepted == {"acceptTenantAdmin": {"isTenantAdmin": True}}
    waiting = await api.graphql(SITE_KEYS, tenant="jobboard", token=seeker)
    assert waiting["errors"][0]["extensions"]["reason"] == "SECOND_FACTOR_REQUIRED"
    await enrol(api, seeker)
    assert "errors" not in await api.graphql(SITE_KEYS, tenant="jobboard", token=seeker)
    await api.data(REVOKE, {"e": "seeker20@jobboard.test"}, tenant="jobboard", token=admin)
    assert error_code(await api.graphql(SITE_KEYS, tenant="jobboard", token=seeker)) == (
        "FORBIDDEN"
    )
    replay = await api.graphql(
        ACCEPT_ADMIN, {"t": code_in(invitation["body"])}, tenant="jobboard", token=seeker
    )
    assert error_code(replay) == "BAD_USER_INPUT", "an invitation works once"
    assert len(await outbox("nobody20@example.org", "SITE_ADMIN_INVITATION")) == 2
    history = (
        await api.data(
            "{ tenantAdminHistory { event email actorName } }", tenant="jobboard", token=admin
        )
    )["tenantAdminHistory"]
    assert [(row["event"], row["email"]) for row in history if "20@" in row["email"]][:3] == [
        ("REVOKED", "seeker20@jobboard.test"),
        ("ACCEPTED", "seeker20@jobboard.test"),
        ("INVITED", "nobody20@example.org"),
    ]
    assert {row["actorName"] for row in history} == {
        "admin@jobboard.test",
        "seeker20@jobboard.test",
    }


MY_SESSIONS = "{ mySessions { id site userAgent address current lastUsedAt } }"


async def test_a_person_sees_their_sessions_and_ends_the_ones_they_do_not_know(api):
    email = "seeker22@jobboard.test"
    phone = await api.sign_in(email, "kansai-jobs")
    laptop = await api.sign_in(email, "jobboard")
    third = await api.sign_in(email, "jobboard")
    listed = (await api.data(MY_SESSIONS, tenant="jobboard", token=laptop["accessToken"]))[
        "mySessions"
    ]
    assert len(listed) == 3 and sum(row["current"] for row in listed) == 1
    assert {row["site"] for row in listed} == {"jobboard", "kansai-jobs"}
    assert all(row["userAgent"] and row["address"] and row["lastUsedAt"] for row in listed)
    [on_phone] = [row for row in listed if row["site"] == "kansai-jobs"]

    other = await api.data(
        MY_SESSIONS,
        tenant="jobboard",
        token=(await api.sign_in("seeker23@jobboard.test", "jobboard"))["accessToken"],
    )
    [others] = other["mySessions"]
    foreign = await api.graphql(
        "mutation($id: ID!) { endSession(id: $id) }",
        {"id": others["id"]},
        tenant="jobboard",
        token=laptop["accessToken"],
    )
    assert error_code(foreign) == "NOT_FOUND", "only one's own sessions"
    await api.data(
        "mutation($id: ID!) { endSession(id: $id) }",
        {"id": on_phone["id"]},
        tenant="jobboard",
        token=laptop["accessToken"],
    )
    ended = await api.graphql(MY_SESSIONS, tenant="kansai-jobs", token=phone["accessToken"])
    assert error_code(ended) == "UNAUTHENTICATED"
    await api.data("mutation { endOtherSessions }", tenant="jobboard", token=laptop["accessToken"])
    assert (
        error_code(await api.graphql(MY_SESSIONS, tenant="jobboard", token=third["accessToken"]))
        == "UNAUTHENTICATED"
    )
    [left] = (await api.data(MY_SESSIONS, tenant="jobboard", token=laptop["accessToken"]))[
        "mySessions"
    ]
    assert left["current"] is True


ENROL = """mutation($p: String!) { enrolSecondFactor(currentPassword: $p) { secret uri
  qrCodeSvg } }"""
CONFIRM_FACTOR = "mutation($c: String!) { confirmSecondFactor(code: $c) }"
VERIFY = "mutation($c: String!) { verifySecondFactor(code: $c) { secondFactorVerified } }"
STAFF_RESUME = """query { staffResume(email: "seeker3@jobboard.test", purpose: "complaint 12")
  { email } }"""


async def enrol(api, token: str, tenant: str = "jobboard") -> list[str]:
    """Enrol an authenticator app as a person would: the secret, then a code from it."""
    started = (await api.data(ENROL, {"p": "demo-password-2026"}, tenant=tenant, token=token))[
        "enrolSecondFactor"
    ]
    assert started["uri"].startswith("otpauth://totp/") and "<svg" in started["qrCodeSvg"]
    wrong = await api.graphql(CONFIRM_FACTOR, {"c": "000000"}, tenant=tenant, token=token)
    assert error_code(wrong) == "BAD_USER_INPUT"
    code = pyotp.TOTP(started["secret"]).now()
    return (await api.data(CONFIRM_FACTOR, {"c": code}, tenant=tenant, token=token))[
        "confirmSecondFactor"
    ]


async def test_staff_reach_personal_data_only_after_a_second_factor(api):
    admin = (await api.sign_in("admin@jobboard.test", "jobboard"))["accessToken"]
    refused = await api.graphql(STAFF_RESUME, tenant="jobboard", token=admin)
    assert error_code(refused) == "FORBIDDEN"
    error = refused["errors"][0]
    assert error["extensions"]["reason"] == "SECOND_FACTOR_REQUIRED"
    assert "verifySecondFactor" in error["message"], "the refusal says what to do"
    assert refused["data"] == {"staffResume": None}
    me = (
        await api.data(
            "{ me { secondFactorEnrolled secondFactorVerified } }", tenant="jobboard", token=admin
        )
    )["me"]
    assert me == {"secondFactorEnrolled": True, "secondFactorVerified": False}

    wrong = await api.graphql(VERIFY, {"c": "123456"}, tenant="jobboard", token=admin)
    assert error_code(wrong) == "BAD_USER_INPUT"
    verified = await api.data(VERIFY, {"c": demo_code()}, tenant="jobboard", token=admin)
    assert verified == {"verifySecondFactor": {"secondFactorVerified": True}}
    shown = await api.data(STAFF_RESUME, tenant="jobboard", token=admin)
    assert shown["staffResume"]["email"] == "seeker3@jobboard.test"
    # The seeker's record names who saw it as a person understands it, with the purpose.
    seeker = (await api.sign_in("seeker3@jobboard.test", "jobboard"))["accessToken"]
    site = (await api.data("{ tenant { branding { siteName } } }", tenant="jobboard"))["tenant"][
        "branding"
    ]["siteName"]
    [record] = (
        await api.data(
            "{ myDisclosures { recipient detail reason } }", tenant="jobboard", token=seeker
        )
    )["myDisclosures"]
    assert record["recipient"] == f"site staff of {site}" and "complaint 12" in record["detail"]
    exported = (await api.data("{ exportMyData }", tenant="jobboard", token=seeker))["exportMyData"]
    assert [row["recipient"] for row in exported["disclosures"]] == [f"site staff of {site}"]
    # The second factor belongs to the session: another sign-in passes it again.
    other = (await api.sign_in("admin@jobboard.test", "jobboard"))["accessToken"]
    assert error_code(await api.graphql(STAFF_RESUME, tenant="jobboard", token=other)) == (
        "FORBIDDEN"
    )


async def test_a_recovery_code_replaces_the_app_once(api):
    token = (await api.sign_in("seeker25@jobboard.test", "jobboard"))["accessToken"]
    no_factor = await api.graphql(VERIFY, {"c": "123456"}, tenant="jobboard", token=token)
    assert "enrol one" in no_factor["errors"][0]["message"]
    recovery_codes = await enrol(api, token)
    assert len(set(recovery_codes)) == 10
    replacing = await api.graphql(
        ENROL,
        {"p": "demo-password-2026"},
        tenant="jobboard",
        token=(await api.sign_in("seeker25@jobboard.test", "jobboard"))["accessToken"],
    )
    assert replacing["errors"][0]["extensions"]["reason"] == "SECOND_FACTOR_REQUIRED", (
        "a stolen password cannot swap the app for the thief's"
    )
    later = (await api.sign_in("seeker25@jobboard.test", "jobboard"))["accessToken"]
    await api.data(VERIFY, {"c": recovery_codes[0]}, tenant="jobboard", token=later)
    again = await api.graphql(VERIFY, {"c": recovery_codes[0]}, tenant="jobboard", token=later)
    assert error_code(again) == "BAD_USER_INPUT", "each recovery code works once"


POLICY = """mutation($c: JSON!) { updateTenantPolicy(changes: $c) { settings { version } } }"""


async def test_a_site_may_drop_the_second_factor_but_a_partner_not_below_its_main_site(api):
    partner = (await api.staff_sign_in("admin@kansai-jobs.test", "kansai-jobs"))["accessToken"]
    loosened = await api.graphql(
        POLICY,
        {"c": {"require_staff_second_factor": False}},
        tenant="kansai-jobs",
        token=partner,
    )
    assert error_code(loosened) == "BAD_USER_INPUT"
    assert "partner site cannot" in loosened["errors"][0]["message"]

    community = (await api.staff_sign_in("admin@community.test", "community"))["accessToken"]
    await api.data(
        POLICY,
        {"c": {"require_staff_second_factor": False}},
        tenant="community",
        token=community,
    )
    plain = (await api.sign_in("admin@community.test", "community"))["accessToken"]
    assert "errors" not in await api.graphql(SITE_KEYS, tenant="community", token=plain)
    # Operators always need theirs, whatever the site says.
    refused = await api.graphql(
        """mutation { operatorLogin(email: "operator@jobgraph.test",
           password: "demo-password-2026", code: "000000") { accessToken } }""",
        tenant="community",
    )
    assert error_code(refused) == "BAD_USER_INPUT"
