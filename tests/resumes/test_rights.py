"""The seekers' data rights: export, erasure, and the staff's duties around them."""

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import text

from jobgraph.db.engine import bind_pool
from jobgraph.notifications.outbox import deliver
from jobgraph.policy.config import Policy
from jobgraph.privacy.rights import EXPORTED_TABLES, KEPT_TABLES, queue_update_requests
from tests.conftest import TEST_SETTINGS, database_name, error_code
from tests.support.disclosure import APPLICANTS, applied, seeker_token
from tests.support.employers import employer_of

RESUME_VALUES = (
    "+81-90-0000-0015",
    "Last Employer jobboard 15 KK",
    "seeker15@jobboard.test",
    "Seeker15@jobboard.test",
    "Seeker Fifteen",
    "Inquiry by seeker 15",
)


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
    # Sent while signed out: it carries the address and name, not the account.
    await api.data(
        'mutation { sendInquiry(subject: "About my data", body: "Inquiry by seeker 15", '
        'name: "Seeker Fifteen", replyTo: "Seeker15@jobboard.test") { id } }',
        tenant="jobboard",
    )
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
    employer, job_id, application_id, token = await applied(api, "jobboard", 17)
    await api.data(
        "mutation($j: ID!) { withdrawApplication(id: $j) { id } }",
        {"j": application_id},
        tenant="jobboard",
        token=token,
    )
    await api.data(
        'mutation($j: ID!) { applyToJob(jobId: $j, coverNote: "My own words, seeker 17") { id } }',
        {"j": job_id},
        tenant="jobboard",
        token=token,
    )
    notes = "query($j: ID!) { applicants(jobId: $j) { coverNote } }"
    read = await api.data(notes, {"j": job_id}, tenant="jobboard", token=employer.token)
    assert read["applicants"] == [{"coverNote": "My own words, seeker 17"}]
    await api.data("mutation { eraseMyPersonalInformation }", tenant="jobboard", token=token)
    read = await api.data(notes, {"j": job_id}, tenant="jobboard", token=employer.token)
    assert read["applicants"] == [{"coverNote": None}], "erased with the personal information"
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
    admin = (await api.staff_sign_in("admin@jobboard.test", "jobboard"))["accessToken"]
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
    assert record[0]["reason"] == "LAWFUL"
    assert record[0]["recipient"] == "Police (via platform operators)"
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
    admin = (await api.staff_sign_in("admin@community.test", "community"))["accessToken"]
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


STATISTICS_RELEASE = """{ seekerStatistics { threshold releasedAt nextReleaseAt epsilon
  budgetSpent yearlyBudget nationality { value count } visaStatus { value count }
  careerLevel { value count } japaneseLevel { value count } } }"""


async def statistics_of(api, token, tenant="jobboard") -> dict:
    return (await api.data(STATISTICS_RELEASE, tenant=tenant, token=token))["seekerStatistics"]


async def test_statistics_show_only_labels_of_the_vocabulary_and_no_small_group(api):
    admin = (await api.staff_sign_in("admin@jobboard.test", "jobboard"))["accessToken"]
    stats = await statistics_of(api, admin)
    assert stats["threshold"] == 5 and stats["releasedAt"] is not None
    assert stats["epsilon"] == 1.0 and stats["budgetSpent"] == 1.0
    assert stats["yearlyBudget"] == 12.0
    vocabulary = Policy().statistics_groups
    for name, attribute in (
        ("nationality", "nationality"),
        ("visaStatus", "visa_status"),
        ("careerLevel", "career_level"),
        ("japaneseLevel", "japanese_level"),
    ):
        assert all(group["count"] >= 5 for group in stats[name]), stats[name]
        assert {g["value"] for g in stats[name]} <= {*vocabulary[attribute], "other"}
    seeker = await seeker_token(api, 1, "jobboard")
    refused = await api.graphql(
        "{ seekerStatistics { threshold } }", tenant="jobboard", token=seeker
    )
    assert error_code(refused) == "FORBIDDEN"


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
        {
            "community": {
                "policy": {"data_uses": ["STATISTICS", "UPDATE_REQUESTS", "SITE_UPDATE_MAIL"]}
            }
        }
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


async def test_a_cover_note_is_recorded_when_its_company_reads_it_and_hidden_once_withdrawn(
    api,
):
    employer = await employer_of(api, "jobboard")
    job_id = await employer.post(title="Cover notes")
    token = await seeker_token(api, 19, "jobboard")
    applied_id = (
        await api.data(
            'mutation($j: ID!) { applyToJob(jobId: $j, coverNote: "Hire me") { id } }',
            {"j": job_id},
            tenant="jobboard",
            token=token,
        )
    )["applyToJob"]["id"]
    notes = "query($j: ID!) { applicants(jobId: $j) { status coverNote } }"

    async def disclosed() -> list[list[str]]:
        record = await api.data("{ myDisclosures { fields } }", tenant="jobboard", token=token)
        return [entry["fields"] for entry in record["myDisclosures"]]

    read = await api.data(notes, {"j": job_id}, tenant="jobboard", token=employer.token)
    assert read["applicants"] == [{"status": "SUBMITTED", "coverNote": "Hire me"}]
    assert await disclosed() == [["COVER_NOTE"]], "the company read the seeker's words"
    await api.data(
        "mutation($a: ID!) { withdrawApplication(id: $a) { id } }",
        {"a": applied_id},
        tenant="jobboard",
        token=token,
    )
    read = await api.data(notes, {"j": job_id}, tenant="jobboard", token=employer.token)
    assert read["applicants"] == [{"status": "WITHDRAWN", "coverNote": None}]
    mine = await api.data("{ myApplications { coverNote } }", tenant="jobboard", token=token)
    assert mine["myApplications"] == [{"coverNote": "Hire me"}], "the seeker still sees it"
    assert await disclosed() == [["COVER_NOTE"]], "nothing more was shown, nor recorded"


async def test_the_export_covers_every_table_that_refers_to_an_account(
    api, database, database_server
):
    connection = await database_server.admin(database_name(database))
    try:
        referring = {
            row[0]
            for row in await connection.fetch(
                "SELECT conrelid::regclass::text FROM pg_constraint "
                "WHERE contype = 'f' AND confrelid = 'accounts'::regclass"
            )
        } | {"accounts"}
    finally:
        await connection.close()
    assert referring == set(EXPORTED_TABLES) | set(KEPT_TABLES)
    token = await seeker_token(api, 3, "jobboard")
    exported = (await api.data("{ exportMyData }", tenant="jobboard", token=token))["exportMyData"]
    assert set(EXPORTED_TABLES.values()) <= set(exported)
    assert exported["sessions"][-1]["site"] == "jobboard"
    assert exported["notifications"] == [] and exported["company_memberships"] == []


async def age_releases(database_server, database, days: int) -> None:
    """As if the site's releases were made ``days`` ago (its period passes)."""
    await database_server.execute(
        f"UPDATE statistics_releases SET created_at = created_at - interval '{days} days'",
        database_name(database),
    )


async def test_an_attacker_sees_one_release_a_period_whatever_it_does_between(
    api, database, database_server, reconfigure, serve
):
    """The attacks: pad the victim's group, then watch it as the victim leaves; change the
    minimum cell between queries; ask again and again. Every answer in a period is the
    release made at its start, so none of it tells anything about the victim; a change of
    policy applies from the next release."""
    admin = (await api.staff_sign_in("admin@community.test", "community"))["accessToken"]
    victim = await seeker_token(api, 13, "community")
    first = await statistics_of(api, admin, "community")
    for visa in ("Student", "Working holiday", None):
        await api.data(
            "mutation($v: String) { updateResume(patch: {visaStatus: $v}) { updatedAt } }",
            {"v": visa},
            tenant="community",
            token=victim,
        )
        assert await statistics_of(api, admin, "community") == first
    await reconfigure({"community": {"policy": {"statistics_min_cell": 8}}})
    async with serve(database) as changed:
        again = (await changed.staff_sign_in("admin@community.test", "community"))["accessToken"]
        assert {**await statistics_of(changed, again, "community"), "threshold": 5} == first
        await age_releases(database_server, database, 31)
        fresh = await statistics_of(changed, again, "community")
    assert fresh["releasedAt"] != first["releasedAt"] and fresh["budgetSpent"] == 2.0
    for name in ("nationality", "visaStatus", "careerLevel", "japaneseLevel"):
        assert all(group["count"] >= 8 for group in fresh[name]), "the new minimum applies"


async def test_a_spent_budget_keeps_the_last_release(database, database_server, reconfigure, serve):
    await reconfigure({"community": {"policy": {"statistics_yearly_budget": 1.5}}})
    async with serve(database) as api:
        admin = (await api.staff_sign_in("admin@community.test", "community"))["accessToken"]
        first = await statistics_of(api, admin, "community")
        await age_releases(database_server, database, 31)
        later = await statistics_of(api, admin, "community")
    assert first["budgetSpent"] == later["budgetSpent"] == 1.0
    # The same release (aged by the test), not a new one: that would spend more than the
    # year allows.
    assert later["releasedAt"] < first["releasedAt"]
    moments = ("releasedAt", "nextReleaseAt")
    assert {k: v for k, v in later.items() if k not in moments} == {
        k: v for k, v in first.items() if k not in moments
    }


async def test_each_site_releases_its_own_statistics(api):
    """A partner site counts its own seekers in its own releases, with its own budget, never
    looser than its main site's (the policy's ceiling)."""
    partner = (await api.staff_sign_in("admin@kansai-jobs.test", "kansai-jobs"))["accessToken"]
    main = (await api.staff_sign_in("admin@jobboard.test", "jobboard"))["accessToken"]
    on_partner = await statistics_of(api, partner, "kansai-jobs")
    on_main = await statistics_of(api, main)
    assert on_partner["budgetSpent"] == on_main["budgetSpent"] == 1.0
    assert on_partner["releasedAt"] != on_main["releasedAt"], "two releases, not one shared"


async def test_deleting_an_account_erases_mail_sent_to_its_address_before_it_existed(
    api, database, database_server, outbox
):
    from tests.support.accounts import confirmed

    employer = await employer_of(api, "jobboard")
    await api.data(
        'mutation($c: ID!) { addCompanyMember(companyId: $c, email: "Late.Joiner@example.org") }',
        {"c": employer.company_id},
        tenant="jobboard",
        token=employer.token,
    )
    tokens = (await confirmed(api, outbox, "jobboard", "late.joiner@example.org"))[
        "confirmRegistration"
    ]
    assert "late.joiner@example.org" in (await all_rows_text(database_server, database)).lower()
    await api.data(
        'mutation { deleteMyAccount(password: "a-long-passphrase-42") }',
        tenant="jobboard",
        token=tokens["accessToken"],
    )
    assert "late.joiner@example.org" not in (await all_rows_text(database_server, database)).lower()


async def test_ones_own_lists_come_in_pages_newest_first(api):
    employer = await employer_of(api, "jobboard")
    seeker = (await api.sign_in("seeker4@jobboard.test", "jobboard"))["accessToken"]
    applied = []
    for number in range(3):
        job_id = await employer.post(title=f"Paged job {number}")
        await api.data(
            "mutation($j: ID!) { applyToJob(jobId: $j) { id } }",
            {"j": job_id},
            tenant="jobboard",
            token=seeker,
        )
        applied.append(f"Paged job {number}")
    page = "query($f: Int!, $o: Int!) { myApplications(first: $f, offset: $o) { job { title } } }"

    async def titles(first: int, offset: int) -> list[str]:
        data = await api.data(page, {"f": first, "o": offset}, tenant="jobboard", token=seeker)
        return [application["job"]["title"] for application in data["myApplications"]]

    newest = list(reversed(applied))
    assert await titles(2, 0) == newest[:2]
    assert await titles(2, 2) == newest[2:]
    for first, offset in ((0, 0), (2, -1)):
        body = await api.graphql(page, {"f": first, "o": offset}, tenant="jobboard", token=seeker)
        assert error_code(body) == "BAD_USER_INPUT"


INQUIRY = """mutation($r: String) { sendInquiry(subject: "My data", body: "Ann here, call me",
  name: "Ann Example", replyTo: $r) { id } }"""


async def test_erasure_and_export_reach_every_inquiry_the_seeker_sent(
    api, database_server, database
):
    """Signed in, and signed out from the account's own address: both are the seeker's."""
    email = "seeker28@jobboard.test"
    token = (await api.sign_in(email, "jobboard"))["accessToken"]
    await api.data(INQUIRY, {"r": None}, tenant="jobboard", token=token)
    await api.data(INQUIRY, {"r": email.upper()}, tenant="jobboard")  # signed out
    exported = (await api.data("{ exportMyData }", tenant="jobboard", token=token))["exportMyData"]
    assert [row["body"] for row in exported["inquiries"]] == ["Ann here, call me"] * 2
    await api.data("mutation { eraseMyPersonalInformation }", tenant="jobboard", token=token)
    connection = await database_server.admin(database_name(database))
    try:
        left = await connection.fetch(
            "SELECT name, reply_to, body FROM inquiries WHERE body LIKE '%Ann%' "
            "OR name LIKE '%Ann%' OR lower(reply_to) = $1",
            email,
        )
    finally:
        await connection.close()
    assert left == []


async def test_a_deleted_account_leaves_no_mail_in_the_senders_folder(serve, database, tmp_path):
    settings = TEST_SETTINGS.model_copy(update={"mail_dir": tmp_path})
    async with serve(database, settings) as api:
        email = "seeker29@jobboard.test"
        await api.data(
            "mutation($e: String!) { requestPasswordReset(email: $e) { email } }",
            {"e": email},
            tenant="jobboard",
        )
        await deliver(
            api.app.state.services.sessions,
            (await api.app.state.services.registry.current()).pools(),
            api.app.state.services.mail,
        )
        assert len(list(tmp_path.glob("*.json"))) == 1
        token = (await api.sign_in(email, "jobboard"))["accessToken"]
        await api.data(
            'mutation { deleteMyAccount(password: "demo-password-2026") }',
            tenant="jobboard",
            token=token,
        )
    assert list(tmp_path.glob("*.json")) == []


LEFT_IN_PAGES = """SELECT count(*)
  FROM generate_series(0, pg_relation_size('accounts') / 8192 - 1) b,
       heap_page_items(get_raw_page('accounts', b::int))
 WHERE position($1::bytea in t_data) > 0"""


async def test_a_deletion_can_leave_nothing_in_the_tables_files(serve, database, database_server):
    """A deleted row stays in the table's pages until VACUUM; with the operator's setting,
    the deletion vacuums at once and the address is in no page of the accounts table."""
    connection = await database_server.admin(database_name(database))
    try:
        await connection.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
    except asyncpg.PostgresError:
        pytest.skip("this PostgreSQL has no pageinspect (contrib) to read its pages with")
    email = b"seeker30@jobboard.test"
    settings = TEST_SETTINGS.model_copy(update={"vacuum_after_deletion": True})
    try:
        async with serve(database, settings) as api:
            assert await connection.fetchval(LEFT_IN_PAGES, email) == 1
            token = (await api.sign_in(email.decode(), "jobboard"))["accessToken"]
            await api.data(
                'mutation { deleteMyAccount(password: "demo-password-2026") }',
                tenant="jobboard",
                token=token,
            )
        assert await connection.fetchval(LEFT_IN_PAGES, email) == 0
    finally:
        await connection.close()
