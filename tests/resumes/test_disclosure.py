"""Who sees which field of a resume, through every path to it, in each demo tenant; the
record of what was disclosed; and what can and cannot be inferred.

Demo seekers' resumes: on jobboard, odd-numbered seekers are SEARCHABLE and even ones
PRIVATE; on community, even ones are PUBLIC and odd ones PRIVATE. Their phone numbers end in
their number, their last employer is "Last Employer <tenant> <n> KK"."""

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import event

from tests.conftest import database_name, error_code
from tests.support.disclosure import (
    APPLICANTS,
    EXPECTED,
    FIELDS,
    PERSONAL,
    SEARCH,
    applied,
    check,
    seeker_token,
)
from tests.support.employers import employer_of, new_company


@pytest.mark.parametrize(("tenant", "number"), [("jobboard", 2), ("community", 4)])
async def test_the_owner_sees_everything(api, tenant, number):
    token = await seeker_token(api, number, tenant)
    resume = (await api.data("{ myResume { " + FIELDS + " } }", tenant=tenant, token=token))[
        "myResume"
    ]
    check(resume, EXPECTED[(tenant, "owner")])
    assert resume["disclosure"]["relationship"] == "OWNER"
    assert (await api.data("{ myDisclosures { reason } }", tenant=tenant, token=token))[
        "myDisclosures"
    ] == [], "the owner is not recorded"


@pytest.mark.parametrize(
    ("tenant", "number"), [("jobboard", 2), ("jobboard", 3), ("community", 4), ("community", 5)]
)
async def test_an_employer_sees_what_the_site_discloses_on_application(api, tenant, number):
    employer, job_id, _, seeker = await applied(api, tenant, number)
    [application] = (
        await api.data(APPLICANTS, {"j": job_id}, tenant=tenant, token=employer.token)
    )["applicants"]
    check(application["candidate"], EXPECTED[(tenant, "application")])
    assert application["candidate"]["disclosure"]["relationship"] == "APPLICATION"
    record = (
        await api.data("{ myDisclosures { fields reason recipient } }", tenant=tenant, token=seeker)
    )["myDisclosures"]
    assert len(record) == 1 and record[0]["reason"] == "APPLICATION"
    assert set(record[0]["fields"]) == EXPECTED[(tenant, "application")] & PERSONAL


async def test_the_partner_site_discloses_as_its_policy_says(api):
    kansai = await employer_of(api, "kansai-jobs")
    job_id = await kansai.post(title="Partner job")
    token = (await api.sign_in("seeker7@jobboard.test", "kansai-jobs"))["accessToken"]
    await api.data(
        "mutation($j: ID!) { applyToJob(jobId: $j) { id } }",
        {"j": job_id},
        tenant="kansai-jobs",
        token=token,
    )
    [application] = (
        await api.data(APPLICANTS, {"j": job_id}, tenant="kansai-jobs", token=kansai.token)
    )["applicants"]
    check(application["candidate"], EXPECTED[("kansai-jobs", "application")])


async def test_resume_search_finds_only_searchable_resumes_with_personal_data_withheld(api):
    employer = await employer_of(api, "jobboard")
    found = (
        await api.data(SEARCH, {"c": employer.company_id}, tenant="jobboard", token=employer.token)
    )["searchCandidates"]
    assert found
    for candidate in found:
        check(candidate["resume"], EXPECTED[("jobboard", "search")])
        assert candidate["resume"]["disclosure"]["relationship"] == "RESUME_SEARCH"
    everything = json.dumps(found)
    for number in range(1, 41):
        assert f"-{number:04d}" not in everything, "no phone number"
        assert f"Last Employer jobboard {number} KK" not in everything
        assert f"seeker{number}@" not in everything
    # Odd demo seekers are searchable, even ones private: as many as there are odd seekers.
    assert len(found) == 20


async def test_a_signed_in_search_is_proved_and_read_in_one_transaction(api):
    employer = await employer_of(api, "jobboard")
    search = (SEARCH, {"c": employer.company_id})
    await api.data(*search, tenant="jobboard", token=employer.token)
    before = api.statements.count
    assert (await api.data(*search, tenant="jobboard", token=employer.token))["searchCandidates"]
    sent = list(api.statements.recent)[before - api.statements.count :]
    # The pool set once (a transaction for the proof and another for the reads would set
    # it twice), the token's session proved, the page of resumes.
    assert len(sent) == 3, sent
    assert "set_config" in sent[0] and "auth_sessions" in sent[1] and "FROM resumes" in sent[2]


async def test_candidate_ids_are_stable_per_employer_and_differ_between_employers(api):
    first = await employer_of(api, "jobboard")
    ids = [
        c["candidateId"]
        for c in (
            await api.data(SEARCH, {"c": first.company_id}, tenant="jobboard", token=first.token)
        )["searchCandidates"]
    ]
    again = [
        c["candidateId"]
        for c in (
            await api.data(SEARCH, {"c": first.company_id}, tenant="jobboard", token=first.token)
        )["searchCandidates"]
    ]
    assert ids == again
    seeker = await seeker_token(api, 30, "jobboard")
    other = await new_company(api, seeker, "Other KK")
    seeker = await seeker_token(api, 30, "jobboard")
    theirs = [
        c["candidateId"]
        for c in (await api.data(SEARCH, {"c": other}, tenant="jobboard", token=seeker))[
            "searchCandidates"
        ]
    ]
    assert len(theirs) == len(ids) and not set(theirs) & set(ids)
    assert all(cid.startswith("cand_") and "seeker" not in cid for cid in ids)


async def test_search_is_not_offered_where_the_policy_does_not_declare_it(api):
    employer = await employer_of(api, "community")
    body = await api.graphql(
        SEARCH, {"c": employer.company_id}, tenant="community", token=employer.token
    )
    assert error_code(body) == "FORBIDDEN"


PUBLIC = "{ publicProfiles(first: 30) { " + FIELDS + " } }"


async def test_public_profiles_show_the_public_fields_only_where_offered(api):
    profiles = (await api.data(PUBLIC, tenant="community"))["publicProfiles"]
    assert len(profiles) == 10  # the even-numbered community seekers
    for profile in profiles:
        check(profile, EXPECTED[("community", "public")])
    assert (await api.data(PUBLIC, tenant="jobboard"))["publicProfiles"] == []
    assert "+81-90" not in json.dumps(profiles) and "@community.test" not in json.dumps(profiles)


async def test_a_seeker_reading_public_profiles_sees_their_own_as_its_owner(api):
    """One page, two relationships: the reader's own profile in full, everyone else's as
    a public profile (decisions are shared only between resumes of one relationship)."""
    token = await seeker_token(api, 4, "community")
    profiles = (await api.data(PUBLIC, tenant="community", token=token))["publicProfiles"]
    [own] = [p for p in profiles if p["disclosure"]["relationship"] == "OWNER"]
    check(own, EXPECTED[("community", "owner")])
    assert own["phone"].endswith("4")
    others = [p for p in profiles if p is not own]
    assert len(others) == 9
    for profile in others:
        check(profile, EXPECTED[("community", "public")])
    assert (await api.data("{ myDisclosures { reason } }", tenant="community", token=token))[
        "myDisclosures"
    ] == [], "the owner is not recorded"


async def test_a_page_of_profiles_is_read_and_recorded_in_one_transaction(api):
    await api.data(PUBLIC, tenant="community")
    before = api.statements.count
    assert len((await api.data(PUBLIC, tenant="community"))["publicProfiles"]) == 10
    sent = list(api.statements.recent)[before - api.statements.count :]
    # The pool set once (a second transaction would set it again), the page, its record.
    assert len(sent) == 3, sent
    assert "set_config" in sent[0] and "FROM resumes" in sent[1]
    assert "INSERT INTO disclosures" in sent[2]


async def test_records_are_kept_in_the_order_they_were_written(api, database, database_server):
    """Each record's id is a version 7 UUID, its time first: a later record sorts after an
    earlier one, so the record (which only grows) is written at the end of its key."""
    recorded = "SELECT id FROM disclosures WHERE recipient = 'anonymous' ORDER BY created_at"
    await api.data(PUBLIC, tenant="community")
    first = [row["id"] for row in await database_server.fetch(recorded, database_name(database))]
    await api.data(PUBLIC, tenant="community")
    both = [row["id"] for row in await database_server.fetch(recorded, database_name(database))]
    later = both[len(first) :]
    assert len(first) == len(later) == 10
    assert {record.version for record in both} == {7}
    assert max(first) < min(later)


async def test_the_transaction_begins_in_the_message_that_probes_its_connection(api):
    """The connection the pool hands out is probed (one the server dropped is replaced), and
    that probe is the transaction's BEGIN and pool, one round trip where three were sent
    (the probe, BEGIN, the pool): asyncpg's log of what it sent, page and record between."""
    await api.data(PUBLIC, tenant="community")
    engine = api.app.state.services.engine.sync_engine
    sent: list[str] = []
    logged = []

    def log(dbapi_connection: Any, *_: Any) -> None:
        driver = dbapi_connection.driver_connection
        driver.add_query_logger(log_query)
        logged.append(driver)

    def log_query(query: Any) -> None:
        sent.append(query.query)

    event.listen(engine, "checkout", log, insert=True)  # before the probe
    try:
        assert len((await api.data(PUBLIC, tenant="community"))["publicProfiles"]) == 10
        await asyncio.sleep(0)  # asyncpg calls its loggers soon after, not at once
    finally:
        event.remove(engine, "checkout", log)
        for driver in logged:
            driver.remove_query_logger(log_query)
    assert sent[0] == "BEGIN; SELECT set_config('jobgraph.pool', 'community', true)", sent
    assert sent[-1] == "COMMIT", sent
    assert not [query for query in sent[1:] if query.startswith(("BEGIN", "SELECT 1"))], sent


async def test_profiles_whose_record_cannot_be_written_are_not_shown(
    api, database, database_server
):
    name = database_name(database)
    await database_server.execute("REVOKE INSERT ON disclosures FROM jobgraph_app", name)
    try:
        body = await api.graphql(PUBLIC, tenant="community")
    finally:
        await database_server.execute("GRANT INSERT ON disclosures TO jobgraph_app", name)
    assert body["data"] is None, body
    assert error_code(body) == "INTERNAL", body  # logged with its cause
    assert "+81-90" not in json.dumps(body) and "Seeker" not in json.dumps(body)
    # Nothing was left half done: the next request reads and records as before.
    assert len((await api.data(PUBLIC, tenant="community"))["publicProfiles"]) == 10


async def test_every_query_shape_gets_the_same_answer_and_one_record(api):
    employer, job_id, _, seeker = await applied(api, "jobboard", 9)
    shaped = """query($j: ID!) {
      a: applicants(jobId: $j) { candidate { ...Personal } }
      b: applicants(jobId: $j) { ... on Application { candidate { n: fullName p: phone
                                                                   ...Personal } } }
    }
    fragment Personal on Resume { fullName phone email disclosure { withheldFields } }"""
    data = await api.data(shaped, {"j": job_id}, tenant="jobboard", token=employer.token)
    assert data["a"][0]["candidate"]["phone"] == "+81-90-0000-0009"
    assert data["b"][0]["candidate"]["p"] == "+81-90-0000-0009"
    record = (await api.data("{ myDisclosures { fields } }", tenant="jobboard", token=seeker))[
        "myDisclosures"
    ]
    assert len(record) == 1, "one row per request, however often the fields were asked"
    assert set(record[0]["fields"]) == {"FULL_NAME", "PHONE", "EMAIL"}


@pytest.mark.parametrize("number", [11, 12])  # searchable, private
async def test_a_withdrawn_application_stops_disclosure_but_keeps_the_record(api, number):
    employer, job_id, application_id, seeker = await applied(api, "jobboard", number)
    await api.data(APPLICANTS, {"j": job_id}, tenant="jobboard", token=employer.token)
    await api.data(
        "mutation($a: ID!) { withdrawApplication(id: $a) { status } }",
        {"a": application_id},
        tenant="jobboard",
        token=seeker,
    )
    [application] = (
        await api.data(APPLICANTS, {"j": job_id}, tenant="jobboard", token=employer.token)
    )["applicants"]
    assert application["status"] == "WITHDRAWN"
    # Nothing more, not even what resume search would show: that would tie the searchable
    # candidate to this applicant.
    assert application["candidate"] is None
    assert (
        len(
            (await api.data("{ myDisclosures { reason } }", tenant="jobboard", token=seeker))[
                "myDisclosures"
            ]
        )
        == 1
    )


async def test_a_visibility_change_takes_effect_at_once(api):
    employer = await employer_of(api, "jobboard")
    before = len(
        (
            await api.data(
                SEARCH, {"c": employer.company_id}, tenant="jobboard", token=employer.token
            )
        )["searchCandidates"]
    )
    seeker = await seeker_token(api, 13, "jobboard")
    await api.data(
        "mutation { setResumeVisibility(visibility: PRIVATE) { visibility } }",
        tenant="jobboard",
        token=seeker,
    )
    after = len(
        (
            await api.data(
                SEARCH, {"c": employer.company_id}, tenant="jobboard", token=employer.token
            )
        )["searchCandidates"]
    )
    assert after == before - 1
    refused = await api.graphql(
        "mutation { setResumeVisibility(visibility: PUBLIC) { visibility } }",
        tenant="jobboard",
        token=seeker,
    )
    assert error_code(refused) == "BAD_USER_INPUT", "jobboard offers no public profiles"


async def test_search_filters_only_on_disclosed_fields(api):
    employer = await employer_of(api, "jobboard")
    for withheld in ("nationality", "phone", "fullName", "visaStatus"):
        body = await api.graphql(
            f'query($c: ID!) {{ searchCandidates(companyId: $c, {withheld}: "x") '
            "{ candidateId } }",
            {"c": employer.company_id},
            tenant="jobboard",
            token=employer.token,
        )
        assert error_code(body) == "GRAPHQL_VALIDATION_FAILED", withheld
    by_skill = (
        await api.data(
            SEARCH,
            {"c": employer.company_id, "skills": ["python"]},
            tenant="jobboard",
            token=employer.token,
        )
    )["searchCandidates"]
    assert all("python" in c["resume"]["skills"] for c in by_skill)


async def test_an_applicant_list_costs_the_same_statements_for_5_and_50(
    api, database, database_server
):
    employer = await employer_of(api, "jobboard")
    name = database_name(database)
    await database_server.execute(  # ten more seekers with resumes: 50 in all
        "INSERT INTO accounts (pool_id, tenant_slug, email, email_normalized) "
        "SELECT 'jobboard', 'jobboard', 'extra' || i || '@jobboard.test', "
        "'extra' || i || '@jobboard.test' FROM generate_series(1, 10) i; "
        "INSERT INTO resumes (pool_id, tenant_slug, account_id, visibility, languages, "
        "education_history, work_history, skills, hobbies, desired_categories, "
        "desired_locations) SELECT 'jobboard', 'jobboard', id, 'PRIVATE', '[]', '[]', '[]', "
        "'{}', '{}', '{}', '{}' FROM accounts WHERE email LIKE 'extra%'",
        name,
    )
    counts = []
    every = APPLICANTS.replace("applicants(jobId: $j)", "applicants(jobId: $j, first: 50)")
    for size in (5, 50):
        job_id = await employer.post(title=f"Crowded {size}")
        await database_server.execute(
            "INSERT INTO applications (pool_id, tenant_slug, job_id, account_id, status) "
            f"SELECT 'jobboard', 'jobboard', '{job_id}', account_id, 'SUBMITTED' "
            f"FROM resumes WHERE pool_id = 'jobboard' LIMIT {size}",
            name,
        )
        await api.data(every, {"j": job_id}, tenant="jobboard", token=employer.token)
        before = api.statements.count
        data = await api.data(every, {"j": job_id}, tenant="jobboard", token=employer.token)
        assert len(data["applicants"]) == size
        counts.append(api.statements.count - before)
    assert counts[0] == counts[1], counts


async def test_experience_years_filter_counts_dates_only(api):
    employer = await employer_of(api, "jobboard")
    query = """query($c: ID!, $y: Int) { searchCandidates(companyId: $c, experienceYears: $y,
      first: 50) { resume { workHistory { startDate endDate } } } }"""
    everyone = (
        await api.data(
            query, {"c": employer.company_id, "y": None}, tenant="jobboard", token=employer.token
        )
    )["searchCandidates"]
    seasoned = (
        await api.data(
            query, {"c": employer.company_id, "y": 12}, tenant="jobboard", token=employer.token
        )
    )["searchCandidates"]
    assert 0 < len(seasoned) < len(everyone)
    assert all(
        candidate["resume"]["workHistory"][0]["startDate"] <= "2014-12-31" for candidate in seasoned
    )


async def test_an_invitation_shows_the_job_and_applying_accepts_it(api):
    employer = await employer_of(api, "jobboard")
    job_id = await employer.post(title="Invited role")
    found = (
        await api.data(SEARCH, {"c": employer.company_id}, tenant="jobboard", token=employer.token)
    )["searchCandidates"]
    invite = """mutation($c: ID!, $cand: String!, $j: ID!) { inviteCandidate(companyId: $c,
      candidateId: $cand, jobId: $j, message: "We liked your profile") }"""
    await api.data(
        invite,
        {"c": employer.company_id, "cand": found[0]["candidateId"], "j": job_id},
        tenant="jobboard",
        token=employer.token,
    )
    forged = await api.graphql(
        invite,
        {"c": employer.company_id, "cand": "cand_AAAA", "j": job_id},
        tenant="jobboard",
        token=employer.token,
    )
    assert error_code(forged) == "NOT_FOUND"
    # Find who was invited: the odd seekers are the searchable ones.
    for number in range(1, 41, 2):
        token = (await api.sign_in(f"seeker{number}@jobboard.test", "jobboard"))["accessToken"]
        invitations = (
            await api.data(
                "{ myInvitations { id status message job { title company { name } } } }",
                tenant="jobboard",
                token=token,
            )
        )["myInvitations"]
        if invitations:
            break
    [invitation] = invitations
    assert invitation["job"]["title"] == "Invited role"
    assert invitation["job"]["company"]["name"] == employer.company_name
    assert invitation["status"] == "PENDING"
    # Until the seeker applies, the employer has no applicant to read.
    assert (await api.data(APPLICANTS, {"j": job_id}, tenant="jobboard", token=employer.token))[
        "applicants"
    ] == []
    await api.data(
        "mutation($j: ID!) { applyToJob(jobId: $j) { id } }",
        {"j": job_id},
        tenant="jobboard",
        token=token,
    )
    assert (await api.data("{ myInvitations { status } }", tenant="jobboard", token=token))[
        "myInvitations"
    ] == [{"status": "ACCEPTED"}]
    [application] = (
        await api.data(APPLICANTS, {"j": job_id}, tenant="jobboard", token=employer.token)
    )["applicants"]
    assert application["candidate"]["phone"] is not None


async def test_invitations_are_off_where_the_policy_says(api):
    employer = await employer_of(api, "community")
    job_id = await employer.post(title="No invitations here")
    body = await api.graphql(
        """mutation($c: ID!, $j: ID!) { inviteCandidate(companyId: $c,
      candidateId: "cand_x", jobId: $j) }""",
        {"c": employer.company_id, "j": job_id},
        tenant="community",
        token=employer.token,
    )
    assert error_code(body) == "FORBIDDEN"
