"""Employers' postings: only their own company's, validated field by field, whole or not at
all; the status life cycle; views counted without personal data."""

import pytest

from tests.conftest import error_code
from tests.support.employers import CREATE, PUBLISH, employer_of, new_company

UPDATE = """mutation($id: ID!, $patch: JobPatch!) { updateJob(id: $id, patch: $patch) {
  title status salary { min max } tags } }"""
JOB = """query($id: ID!) { job(id: $id) { id title status } }"""


async def test_a_draft_is_invisible_until_published(api, employer):
    job_id = await employer.post(publish=False, title="Draft until ready")
    assert (await api.data(JOB, {"id": job_id}, tenant="jobboard"))["job"] is None
    published = await api.data(PUBLISH, {"id": job_id}, tenant="jobboard", token=employer.token)
    assert published["publishJob"]["status"] == "PUBLISHED"
    assert published["publishJob"]["expiresAt"] > published["publishJob"]["publishedAt"]
    assert (await api.data(JOB, {"id": job_id}, tenant="jobboard"))["job"]["status"] == "PUBLISHED"


async def test_close_and_reopen(api, employer):
    job_id = await employer.post(title="Closing soon")
    close = "mutation($id: ID!) { closeJob(id: $id) { status } }"
    reopen = "mutation($id: ID!) { reopenJob(id: $id) { status } }"
    assert (await api.data(close, {"id": job_id}, tenant="jobboard", token=employer.token))[
        "closeJob"
    ]["status"] == "CLOSED"
    assert (await api.data(JOB, {"id": job_id}, tenant="jobboard"))["job"] is None
    again = await api.graphql(close, {"id": job_id}, tenant="jobboard", token=employer.token)
    assert error_code(again) == "BAD_USER_INPUT"
    assert (await api.data(reopen, {"id": job_id}, tenant="jobboard", token=employer.token))[
        "reopenJob"
    ]["status"] == "PUBLISHED"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"salaryMin": 5000000, "salaryMax": 4000000}, "salaryMin", "not be more than salaryMax"),
        ({"title": "   "}, "title", "must not be empty"),
        ({"title": "x" * 201}, "title", "at most 200 characters"),
        ({"salaryCurrency": "JP"}, "salaryCurrency", "three-letter ISO code"),
        ({"salaryMin": -1}, "salaryMin", "between 0 and"),
        ({"expiresAt": "2020-01-01T00:00:00Z"}, "expiresAt", "after the publication date"),
        ({"tags": ["x" * 51]}, "tags", "1 to 50 characters"),
    ],
)
async def test_invalid_postings_are_refused_naming_the_field(api, employer, fields, field, message):
    job = {
        "companyId": employer.company_id,
        "title": "Valid",
        "description": "Work.",
        "category": "SALES",
        "employmentType": "FULL_TIME",
    } | fields
    before = (
        await api.data(
            "{ employerJobs(first: 1) { totalCount } }", tenant="jobboard", token=employer.token
        )
    )["employerJobs"]["totalCount"]
    body = await api.graphql(CREATE, {"input": job}, tenant="jobboard", token=employer.token)
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == field
    assert message in body["errors"][0]["message"]
    after = (
        await api.data(
            "{ employerJobs(first: 1) { totalCount } }", tenant="jobboard", token=employer.token
        )
    )["employerJobs"]["totalCount"]
    assert after == before, "nothing was written"


async def test_an_unknown_enum_value_is_refused_before_anything_runs(api, employer):
    job = {
        "companyId": employer.company_id,
        "title": "Valid",
        "description": "Work.",
        "category": "ASTRONAUT",
        "employmentType": "FULL_TIME",
    }
    body = await api.graphql(CREATE, {"input": job}, tenant="jobboard", token=employer.token)
    assert error_code(body) == "BAD_USER_INPUT"
    assert "ASTRONAUT" in body["errors"][0]["message"]


async def test_update_changes_only_what_is_given_and_checks_the_whole(api, employer):
    job_id = await employer.post(title="Before", salaryMin=3000000, salaryMax=4000000)
    data = await api.data(
        UPDATE,
        {"id": job_id, "patch": {"title": "After", "tags": ["Python", "python"]}},
        tenant="jobboard",
        token=employer.token,
    )
    assert data["updateJob"] == {
        "title": "After",
        "status": "PUBLISHED",
        "salary": {"min": 3000000, "max": 4000000},
        "tags": ["python"],
    }
    body = await api.graphql(
        UPDATE,
        {"id": job_id, "patch": {"salaryMin": 9000000}},
        tenant="jobboard",
        token=employer.token,
    )
    assert error_code(body) == "BAD_USER_INPUT"
    titles = await api.data(
        '{ jobs(search: "After", first: 5) { edges { node { title } } } }', tenant="jobboard"
    )
    assert [edge["node"]["title"] for edge in titles["jobs"]["edges"]] == ["After"]


async def test_employers_manage_only_their_own_companys_postings(api, employer):
    job_id = await employer.post(title="Mine")
    other = await employer_of(api, "community")
    # Another pool: the posting does not even exist there.
    body = await api.graphql(
        UPDATE, {"id": job_id, "patch": {"title": "Theirs"}}, tenant="community", token=other.token
    )
    assert error_code(body) == "NOT_FOUND"
    # Same pool, a seeker who became an employer of another company.
    seeker = (await api.sign_in("seeker11@jobboard.test", "jobboard"))["accessToken"]
    await new_company(api, seeker, "Rival KK")
    body = await api.graphql(
        UPDATE, {"id": job_id, "patch": {"title": "Theirs"}}, tenant="jobboard", token=seeker
    )
    assert error_code(body) == "FORBIDDEN"
    job = {
        "companyId": employer.company_id,
        "title": "In their name",
        "description": "x",
        "category": "SALES",
        "employmentType": "FULL_TIME",
    }
    assert (
        error_code(await api.graphql(CREATE, {"input": job}, tenant="jobboard", token=seeker))
        == "FORBIDDEN"
    )
    plain = (await api.sign_in("seeker12@jobboard.test", "jobboard"))["accessToken"]
    assert (
        error_code(await api.graphql(CREATE, {"input": job}, tenant="jobboard", token=plain))
        == "FORBIDDEN"
    )


async def test_views_are_counted_and_shown_to_the_postings_company_only(api, employer):
    job_id = await employer.post(title="Popular")
    view = "mutation($id: ID!) { recordJobView(id: $id) }"
    for tenant in ("jobboard", "jobboard", "jobboard"):
        assert (await api.data(view, {"id": job_id}, tenant=tenant))["recordJobView"] is True
    listing = await api.data(
        "{ employerJobs(first: 50) { edges { node { id viewCount } } } }",
        tenant="jobboard",
        token=employer.token,
    )
    counts = {
        edge["node"]["id"]: edge["node"]["viewCount"] for edge in listing["employerJobs"]["edges"]
    }
    assert counts[job_id] == 3
    stranger = (await api.sign_in("seeker13@jobboard.test", "jobboard"))["accessToken"]
    body = await api.graphql(
        "query($id: ID!) { job(id: $id) { viewCount } }",
        {"id": job_id},
        tenant="jobboard",
        token=stranger,
    )
    assert error_code(body) == "FORBIDDEN"
    missing = await api.graphql(view, {"id": job_id}, tenant="community")
    assert error_code(missing) == "NOT_FOUND"


async def test_the_employer_listing_costs_the_same_statements_for_any_size(api, employer):
    query = """query($first: Int) { employerJobs(first: $first) {
      edges { node { id viewCount applicantCount company { name } } } } }"""
    counts = []
    for first in (2, 10):
        await api.data(query, {"first": first}, tenant="jobboard", token=employer.token)
        before = api.statements.count
        await api.data(query, {"first": first}, tenant="jobboard", token=employer.token)
        counts.append(api.statements.count - before)
    assert counts[0] == counts[1]


async def test_applicant_count_counts_applications_not_withdrawn(api, employer):
    job_id = await employer.post(title="Counted job")
    count = "query($id: ID!) { job(id: $id) { applicantCount } }"
    assert (await api.data(count, {"id": job_id}, tenant="jobboard", token=employer.token))["job"][
        "applicantCount"
    ] == 0
    applications = []
    for number in (3, 4):
        seeker = (await api.sign_in(f"seeker{number}@jobboard.test", "jobboard"))["accessToken"]
        applied = await api.data(
            "mutation($j: ID!) { applyToJob(jobId: $j) { id } }",
            {"j": job_id},
            tenant="jobboard",
            token=seeker,
        )
        applications.append((applied["applyToJob"]["id"], seeker))
    withdrawn_id, seeker = applications[0]
    await api.data(
        "mutation($id: ID!) { withdrawApplication(id: $id) { status } }",
        {"id": withdrawn_id},
        tenant="jobboard",
        token=seeker,
    )
    assert (await api.data(count, {"id": job_id}, tenant="jobboard", token=employer.token))["job"][
        "applicantCount"
    ] == 1
    hidden = await api.graphql(count, {"id": job_id}, tenant="jobboard", token=seeker)
    assert error_code(hidden) == "FORBIDDEN"
