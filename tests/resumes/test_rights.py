"""The seekers' data rights: export, erasure, and the staff's duties around them."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from jobgraph.db.engine import bind_pool
from jobgraph.privacy.rights import queue_update_requests
from tests.conftest import database_name, error_code
from tests.resumes.test_disclosure import APPLICANTS, applied, seeker_token

RESUME_VALUES = ("+81-90-0000-0015", "Last Employer jobboard 15 KK", "seeker15@jobboard.test")


async def test_export_holds_everything_about_the_seeker(api):
    employer, job_id, _, token = await applied(api, "jobboard", 15)
    await api.data(APPLICANTS, {"j": job_id}, tenant="jobboard", token=employer.token)
    await api.data(
        "mutation { setConsent(purpose: JOB_ALERT_MAIL, granted: true) { granted } }",
        tenant="jobboard",
        token=token,
    )
    exported = (await api.data("{ exportMyData }", tenant="jobboard", token=token))["exportMyData"]
    assert exported["account"]["email"] == "seeker15@jobboard.test"
    assert exported["resume"]["phone"] == "+81-90-0000-0015"
    assert exported["applications"][0]["job"] == "Applied job 15"
    assert exported["consents"][0]["purpose"] == "JOB_ALERT_MAIL"
    assert exported["disclosures"][0]["reason"] == "APPLICATION"


async def all_rows_text(database_server, database) -> str:
    """Every row of every table, as text: what a scan for leftovers reads."""
    name = database_name(database)
    connection = await database_server.admin(name)
    try:
        tables = [
            row[0]
            for row in await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        ]
        parts = []
        for table in tables:
            rows = await connection.fetch(f'SELECT t::text FROM "{table}" t')
            parts += [row[0] for row in rows]
        return "\n".join(parts)
    finally:
        await connection.close()


async def test_deleting_the_account_leaves_no_personal_data_anywhere(
    api, database, database_server
):
    employer, job_id, _, token = await applied(api, "jobboard", 15)
    await api.data(APPLICANTS, {"j": job_id}, tenant="jobboard", token=employer.token)
    operator = await api.operator_token()
    await api.data(
        'mutation { lawfulDisclosure(email: "seeker15@jobboard.test", '
        'authority: "Tokyo District Court", legalBasis: "Court order", '
        'reference: "2026-ABC-1") { recorded } }',
        tenant="jobboard",
        token=operator,
    )
    before = await all_rows_text(database_server, database)
    assert [value for value in RESUME_VALUES if value not in before] == []

    wrong = await api.graphql(
        'mutation { deleteMyAccount(password: "nope-nope-nope") }', tenant="jobboard", token=token
    )
    assert error_code(wrong) == "BAD_USER_INPUT"
    await api.data(
        'mutation { deleteMyAccount(password: "demo-password-2026") }',
        tenant="jobboard",
        token=token,
    )
    after = await all_rows_text(database_server, database)
    for value in RESUME_VALUES:
        assert value not in after, [line for line in after.splitlines() if value in line]
    assert "Tokyo District Court" in after, "the lawful disclosure's record is kept"
    assert (await api.post("{ me { email } }", tenant="jobboard", token=token)).status_code == 401


async def test_erasing_personal_information_keeps_the_rest(api):
    token = await seeker_token(api, 17, "jobboard")
    await api.data("mutation { eraseMyPersonalInformation }", tenant="jobboard", token=token)
    resume = (
        await api.data(
            "{ myResume { fullName phone lastEmployer skills workHistory { employer title } } }",
            tenant="jobboard",
            token=token,
        )
    )["myResume"]
    assert resume["fullName"] is None and resume["phone"] is None
    assert resume["lastEmployer"] is None
    assert all(job["employer"] is None and job["title"] for job in resume["workHistory"])
    assert resume["skills"]


async def test_lawful_disclosure_requires_its_basis_and_is_recorded(api):
    operator = await api.operator_token()
    missing = await api.graphql(
        'mutation { lawfulDisclosure(email: "seeker19@jobboard.test", '
        'authority: "Police", legalBasis: "", reference: "R-1") '
        "{ recorded } }",
        tenant="jobboard",
        token=operator,
    )
    assert error_code(missing) == "BAD_USER_INPUT"
    seeker = await seeker_token(api, 19, "jobboard")
    admin = (await api.sign_in("admin@jobboard.test", "jobboard"))["accessToken"]
    refused = await api.graphql(
        'mutation { lawfulDisclosure(email: "seeker19@jobboard.test", '
        'authority: "Police", legalBasis: "Law 1", reference: "R-1") '
        "{ recorded } }",
        tenant="jobboard",
        token=admin,
    )
    assert error_code(refused) == "FORBIDDEN"
    result = await api.data(
        'mutation { lawfulDisclosure(email: "seeker19@jobboard.test", '
        'authority: "Police", legalBasis: "Law 1", reference: "R-1") '
        "{ data recorded } }",
        tenant="jobboard",
        token=operator,
    )
    assert result["lawfulDisclosure"]["data"]["resume"]["phone"] == "+81-90-0000-0019"
    record = (
        await api.data(
            "{ myDisclosures { reason recipient detail } }", tenant="jobboard", token=seeker
        )
    )["myDisclosures"]
    assert record[0]["reason"] == "LAWFUL" and "Police" in record[0]["recipient"]
    assert "R-1" in record[0]["detail"]
    await api.data(
        'mutation { lawfulDisclosure(email: "seeker19@jobboard.test", '
        'authority: "Police", legalBasis: "Law 1", reference: "R-2", '
        "withholdFromSubject: true) { recorded } }",
        tenant="jobboard",
        token=operator,
    )
    assert (
        len(
            (await api.data("{ myDisclosures { reason } }", tenant="jobboard", token=seeker))[
                "myDisclosures"
            ]
        )
        == 1
    )


async def test_staff_see_personal_data_only_with_a_purpose_and_it_is_recorded(api):
    admin = (await api.sign_in("admin@community.test", "community"))["accessToken"]
    query = """query($p: String) { staffResume(email: "seeker6@community.test", purpose: $p) {
      fullName phone email disclosure { relationship } } }"""
    without = (await api.data(query, {"p": None}, tenant="community", token=admin))["staffResume"]
    # Seeker 6 is PUBLIC on community: without a purpose, the public profile.
    assert without["disclosure"]["relationship"] == "PUBLIC_PROFILE"
    assert without["phone"] is None and without["email"] is None
    staffed = (await api.data(query, {"p": "Support ticket 42"}, tenant="community", token=admin))[
        "staffResume"
    ]
    assert staffed["phone"] == "+81-80-0000-0006"
    seeker = await seeker_token(api, 6, "community")
    record = (
        await api.data("{ myDisclosures { reason detail } }", tenant="community", token=seeker)
    )["myDisclosures"]
    assert {(row["reason"], row["detail"]) for row in record} >= {
        ("STAFF_WITH_PURPOSE", "Support ticket 42")
    }


async def test_statistics_never_show_a_small_group(api):
    admin = (await api.sign_in("admin@jobboard.test", "jobboard"))["accessToken"]
    stats = (
        await api.data(
            """{ seekerStatistics { threshold
      nationality { value count } visaStatus { value count } careerLevel { value count }
      japaneseLevel { value count } } }""",
            tenant="jobboard",
            token=admin,
        )
    )["seekerStatistics"]
    assert stats["threshold"] == 5
    for name in ("nationality", "visaStatus", "careerLevel", "japaneseLevel"):
        assert stats[name], name
        assert all(group["count"] >= 5 for group in stats[name]), stats[name]
    seeker = await seeker_token(api, 1, "jobboard")
    assert (
        error_code(
            await api.graphql("{ seekerStatistics { threshold } }", tenant="jobboard", token=seeker)
        )
        == "FORBIDDEN"
    )


async def test_update_requests_go_only_to_consenting_seekers_with_stale_resumes(api):
    token = await seeker_token(api, 21, "jobboard")
    await api.data(
        "mutation { setConsent(purpose: UPDATE_REQUEST_MAIL, granted: true) { granted } }",
        tenant="jobboard",
        token=token,
    )
    services = api.app.state.services
    tenant = (await services.registry.current()).get("jobboard")
    async with services.sessions() as session, session.begin():
        bind_pool(session, "jobboard")
        now = datetime.now(UTC)
        assert await queue_update_requests(session, tenant, now) == 0, "all resumes are fresh"
        later = now + timedelta(days=181)
        assert await queue_update_requests(session, tenant, later) == 1
        assert await queue_update_requests(session, tenant, later) == 0, "once a month"
        recipients = (
            await session.execute(
                text("SELECT recipient FROM notifications WHERE kind = 'UPDATE_REQUEST'")
            )
        ).all()
    assert [row[0] for row in recipients] == ["seeker21@jobboard.test"]


DISCLOSE = """mutation($e: String!, $t: String!) { discloseToThirdParty(email: $e, thirdParty: $t)
  { data recorded } }"""


async def test_third_party_disclosure_needs_the_sites_policy_and_the_seekers_consent(api):
    operator = await api.operator_token("community")
    variables = {"e": "seeker8@community.test", "t": "Relocation Partner KK"}
    refused = await api.graphql(DISCLOSE, variables, tenant="community", token=operator)
    assert error_code(refused) == "FORBIDDEN"
    unknown = await api.graphql(
        DISCLOSE,
        {"e": "nobody@community.test", "t": "Relocation Partner KK"},
        tenant="community",
        token=operator,
    )
    assert unknown["errors"][0]["message"] == refused["errors"][0]["message"]

    seeker = await seeker_token(api, 8, "community")
    consent = """mutation($t: String) { setConsent(purpose: THIRD_PARTY_DISCLOSURE,
      granted: true, thirdParty: $t) { thirdParty granted } }"""
    assert (
        error_code(await api.graphql(consent, {"t": None}, tenant="community", token=seeker))
        == "BAD_USER_INPUT"
    )
    await api.data(consent, {"t": "Relocation Partner KK"}, tenant="community", token=seeker)
    other = await api.graphql(
        DISCLOSE,
        {"e": "seeker8@community.test", "t": "Someone Else"},
        tenant="community",
        token=operator,
    )
    assert error_code(other) == "FORBIDDEN", "consent names its third party"
    given = await api.data(DISCLOSE, variables, tenant="community", token=operator)
    assert given["discloseToThirdParty"]["data"]["resume"]["phone"] == "+81-80-0000-0008"
    record = (
        await api.data("{ myDisclosures { reason recipient } }", tenant="community", token=seeker)
    )["myDisclosures"]
    assert record[0]["reason"] == "CONSENT" and "Relocation Partner KK" in record[0]["recipient"]

    # Withdrawn consent stops it at once.
    await api.data(
        """mutation { setConsent(purpose: THIRD_PARTY_DISCLOSURE, granted: false,
                      thirdParty: "Relocation Partner KK") { granted } }""",
        tenant="community",
        token=seeker,
    )
    assert (
        error_code(await api.graphql(DISCLOSE, variables, tenant="community", token=operator))
        == "FORBIDDEN"
    )


async def test_the_job_board_discloses_to_third_parties_only_by_law(api):
    operator = await api.operator_token()
    seeker = await seeker_token(api, 8, "jobboard")
    offered = await api.graphql(
        """mutation { setConsent(purpose: THIRD_PARTY_DISCLOSURE, granted: true,
                      thirdParty: "Partner KK") { granted } }""",
        tenant="jobboard",
        token=seeker,
    )
    assert error_code(offered) == "BAD_USER_INPUT"
    assert "only when the law requires it" in offered["errors"][0]["message"]
    body = await api.graphql(
        DISCLOSE,
        {"e": "seeker8@jobboard.test", "t": "Partner KK"},
        tenant="jobboard",
        token=operator,
    )
    assert error_code(body) == "FORBIDDEN" and "lawfulDisclosure" in body["errors"][0]["message"]


async def test_a_seeker_edits_one_part_of_the_resume_at_a_time(api):
    token = await seeker_token(api, 23, "jobboard")
    before = (
        await api.data(
            "{ myResume { phone skills hobbies workHistory { title } } }",
            tenant="jobboard",
            token=token,
        )
    )["myResume"]
    update = """mutation($p: ResumePatch!) { updateResume(patch: $p) {
      phone skills hobbies workHistory { title } } }"""
    after = (
        await api.data(
            update, {"p": {"skills": ["rust", " rust ", "go"]}}, tenant="jobboard", token=token
        )
    )["updateResume"]
    assert after["skills"] == ["rust", "go"]
    assert after["phone"] == before["phone"] and after["hobbies"] == before["hobbies"]
    assert after["workHistory"] == before["workHistory"]
    cleared = (await api.data(update, {"p": {"phone": None}}, tenant="jobboard", token=token))[
        "updateResume"
    ]
    assert cleared["phone"] is None and cleared["skills"] == after["skills"]
    newcomer = (await api.sign_in("employer@jobboard.test", "jobboard"))["accessToken"]
    assert (
        error_code(
            await api.graphql(update, {"p": {"phone": "1"}}, tenant="jobboard", token=newcomer)
        )
        == "NOT_FOUND"
    )


async def test_consent_is_asked_only_for_uses_the_site_makes(api, reconfigure, serve, database):
    await reconfigure(
        {"community": lambda text: text.replace('"JOB_ALERT_MAIL"]', "]").replace(", ]", "]")}
    )
    async with serve(database) as served:
        seeker = await seeker_token(served, 9, "community")
        refused = await served.graphql(
            "mutation { setConsent(purpose: JOB_ALERT_MAIL, granted: true) { granted } }",
            tenant="community",
            token=seeker,
        )
        assert error_code(refused) == "BAD_USER_INPUT"
        assert refused["errors"][0]["extensions"]["field"] == "purpose"
        withdrawn = await served.data(
            "mutation { setConsent(purpose: JOB_ALERT_MAIL, granted: false) { granted } }",
            tenant="community",
            token=seeker,
        )
        assert withdrawn["setConsent"]["granted"] is False
        granted = await served.data(
            "mutation { setConsent(purpose: SITE_UPDATE_MAIL, granted: true) { granted } }",
            tenant="community",
            token=seeker,
        )
        assert granted["setConsent"]["granted"] is True
