"""Where a main site and its partner sites meet: the staff powers of each role on each kind
of site (every cell of the policy's table), applications disclosed by the site they were
made on, the policy's dry run, and what is recorded when a last employer is shown."""

import pytest

from jobgraph.policy.staff import POWERS, Power, StaffRole, markdown_table
from tests.conftest import error_code
from tests.support.disclosure import APPLICANTS, FIELDS, NARROW, check, seeker_token
from tests.support.employers import employer_of

PRIVACY_DOC = (
    __import__("pathlib").Path(__file__).resolve().parents[2] / "docs" / "privacy.md"
).read_text()

# One operation per power; each answers FORBIDDEN for a role without it, and anything
# but that refusal for a role with it.
OPERATIONS = {
    Power.CONFIGURE_SITE: "{ siteKeys { id } }",
    Power.GRANT_SITE_ADMIN: 'mutation { grantTenantAdmin(email: "seeker21@jobboard.test") }',
    Power.READ_INQUIRIES: "{ inquiries { id } }",
    Power.SEND_ANNOUNCEMENTS: 'mutation { sendAnnouncement(subject: "News", body: "Hello") }',
    Power.SITE_STATISTICS: "{ seekerStatistics { threshold } }",
    Power.MANAGE_COMPANY_MEMBERS: "mutation($c: ID!) { addCompanyMember(companyId: $c, "
    'email: "seeker22@jobboard.test") }',
    Power.STAFF_ACCESS: 'query { staffResume(email: "seeker2@jobboard.test", '
    'purpose: "a complaint") { phone } }',
    Power.THIRD_PARTY_DISCLOSURE: 'mutation { discloseToThirdParty(email: "seeker2@jobboard.test",'
    ' thirdParty: "Recruiter KK") { recorded } }',
    Power.LAWFUL_DISCLOSURE: 'mutation { lawfulDisclosure(email: "seeker2@jobboard.test", '
    'authority: "Osaka police", legalBasis: "Art. 197", reference: "R-1") { recorded } }',
}
STAFF_REFUSALS = ("As a ", "Only this site's admins")


async def staff_token(api, role: StaffRole) -> tuple[str, str]:
    """A token of the role, and the site it acts on."""
    if role is StaffRole.OPERATOR:
        return await api.operator_token("kansai-jobs"), "kansai-jobs"
    if role is StaffRole.MAIN_SITE_ADMIN:
        return (await api.staff_sign_in("admin@jobboard.test", "jobboard"))[
            "accessToken"
        ], "jobboard"
    token = (await api.staff_sign_in("admin@kansai-jobs.test", "kansai-jobs"))["accessToken"]
    return token, "kansai-jobs"


@pytest.mark.parametrize("power", list(Power))
async def test_every_cell_of_the_staff_powers_table(api, power):
    jobboard_company = (await employer_of(api, "jobboard")).company_id
    for role in StaffRole:
        token, site = await staff_token(api, role)
        body = await api.graphql(
            OPERATIONS[power], {"c": jobboard_company}, tenant=site, token=token
        )
        refused = [e for e in body.get("errors", []) if e["message"].startswith(STAFF_REFUSALS)]
        if role in POWERS[power]:
            assert refused == [], (role, body)
        else:
            assert error_code(body) == "FORBIDDEN" and refused, (role, body)
            assert body["data"] is None or not any(body["data"].values())


def test_the_readme_states_the_table_of_powers_as_the_policy_has_it():
    assert markdown_table() in PRIVACY_DOC


async def test_a_partner_admin_reaches_nothing_of_the_main_site_by_any_mutation(api):
    admin = (await api.staff_sign_in("admin@kansai-jobs.test", "kansai-jobs"))["accessToken"]
    company = (await employer_of(api, "jobboard")).company_id
    attempts = {
        "kansai-jobs": [
            (
                "mutation($c: ID!) { addCompanyMember(companyId: $c, email: "
                '"admin@kansai-jobs.test", role: OWNER) }'
            ),
            'query { staffResume(email: "seeker1@jobboard.test", purpose: "x") { email } }',
            'query { explainAccess(seekerEmail: "seeker1@jobboard.test", path: STAFF, '
            'purpose: "x") { level } }',
            'mutation { updateTenantPolicy(slug: "jobboard", changes: {invitations_enabled: '
            "false}) { settings { version } } }",
        ],
        # The partner's admin is nobody's staff on the main site.
        "jobboard": [
            "{ siteKeys { id } }",
            'mutation { grantTenantAdmin(email: "admin@kansai-jobs.test") }',
        ],
    }
    for site, operations in attempts.items():
        # The same person, signed in on each site (tokens are per site).
        token = (await api.staff_sign_in("admin@kansai-jobs.test", site))["accessToken"]
        for operation in operations:
            body = await api.graphql(operation, {"c": company}, tenant=site, token=token)
            assert error_code(body) == "FORBIDDEN", (site, operation, body)
    staff = await api.graphql(attempts["kansai-jobs"][1], tenant="kansai-jobs", token=admin)
    assert "partner site's admins run their own site only" in staff["errors"][0]["message"]


async def apply_on(api, site: str, job_id: str, number: int) -> str:
    token = (await api.sign_in(f"seeker{number}@jobboard.test", site))["accessToken"]
    data = await api.data(
        "mutation($j: ID!) { applyToJob(jobId: $j) { id site } }",
        {"j": job_id},
        tenant=site,
        token=token,
    )
    assert data["applyToJob"]["site"] == site
    return token


async def test_an_application_discloses_what_the_site_it_was_made_on_allows(api):
    operator = await api.operator_token()
    await api.data(NARROW, {"s": "kansai-jobs"}, tenant="jobboard", token=operator)
    employer = await employer_of(api, "jobboard")
    job_id = await employer.post(title="Osaka role", prefecture="Osaka")  # shown on both
    on_partner = await apply_on(api, "kansai-jobs", job_id, 5)
    on_main = await apply_on(api, "jobboard", job_id, 6)
    narrow = {"FULL_NAME", "EMAIL", "LANGUAGES"}
    by_site = "query($j: ID!) { applicants(jobId: $j) { site candidate { " + FIELDS + " } } }"
    for reading_site in ("jobboard", "kansai-jobs"):
        token = (await api.sign_in("employer@jobboard.test", reading_site))["accessToken"]
        applicants = {
            a["site"]: a["candidate"]
            for a in (await api.data(by_site, {"j": job_id}, tenant=reading_site, token=token))[
                "applicants"
            ]
        }
        # Made on the partner site: its narrower policy, wherever it is read.
        check(applicants["kansai-jobs"], narrow)
        # Made on the main site: all of it read there, the partner's narrower share there.
        check(applicants["jobboard"], FIELDS_EXPECTED if reading_site == "jobboard" else narrow)
    for seeker in (on_partner, on_main):
        site = "kansai-jobs" if seeker is on_partner else "jobboard"
        record = (await api.data("{ myDisclosures { fields } }", tenant=site, token=seeker))[
            "myDisclosures"
        ]
        assert {"PHONE"} & {f for entry in record for f in entry["fields"]} == (
            set() if seeker is on_partner else {"PHONE"}
        ), "recorded as shown"


FIELDS_EXPECTED = {
    "FULL_NAME", "BIRTH_DATE", "GENDER", "NATIONALITY", "RESIDENCE_COUNTRY",
    "RESIDENCE_REGION", "NEAREST_STATION", "PHONE", "VISA_STATUS", "EMAIL", "LAST_EMPLOYER",
    "LANGUAGES", "EDUCATION", "CAREER_LEVEL", "WORK_HISTORY", "SKILLS", "HOBBIES",
    "DESIRED_CATEGORIES", "DESIRED_LOCATIONS",
}  # fmt: skip


EXPLAIN = """query($s: String!, $v: String, $site: String, $p: AccessPath!) {
  explainAccess(seekerEmail: $s, viewerEmail: $v, site: $site, path: $p, purpose: "audit")
  { relationship level note fields { field disclosed reason } } }"""


async def test_the_dry_run_answers_as_the_resolvers_do_and_is_recorded(api):
    operator = await api.operator_token()
    await api.data(NARROW, {"s": "kansai-jobs"}, tenant="jobboard", token=operator)
    employer = await employer_of(api, "jobboard")
    job_id = await employer.post(title="Kyoto role", prefecture="Kyoto")
    seeker = await apply_on(api, "kansai-jobs", job_id, 7)
    admin = (await api.staff_sign_in("admin@jobboard.test", "jobboard"))["accessToken"]
    seeker_email = "seeker7@jobboard.test"

    explained = (
        await api.data(
            EXPLAIN,
            {"s": seeker_email, "v": "employer@jobboard.test", "p": "APPLICATION"},
            tenant="jobboard",
            token=admin,
        )
    )["explainAccess"]
    shown = {f["field"] for f in explained["fields"] if f["disclosed"]}
    assert explained["relationship"] == "APPLICATION" and shown == {
        "FULL_NAME",
        "EMAIL",
        "LANGUAGES",
    }
    reasons = {f["field"]: f["reason"] for f in explained["fields"]}
    assert "where the seeker applied" in reasons["PHONE"]
    assert "+81" not in str(explained) and "@" not in str(explained["fields"])
    [applicant] = (
        await api.data(APPLICANTS, {"j": job_id}, tenant="jobboard", token=employer.token)
    )["applicants"]
    check(applicant["candidate"], shown)  # the same answer as the real read

    searched = (
        await api.data(
            EXPLAIN,
            {"s": "seeker1@jobboard.test", "v": "employer@jobboard.test", "p": "SEARCH"},
            tenant="jobboard",
            token=admin,
        )
    )["explainAccess"]
    assert searched["relationship"] == "RESUME_SEARCH"
    assert not {f["field"] for f in searched["fields"] if f["disclosed"]} & {"PHONE", "EMAIL"}
    anonymous = (
        await api.data(
            EXPLAIN, {"s": seeker_email, "site": "kansai-jobs", "p": "PUBLIC_PROFILE"},
            tenant="jobboard", token=admin,
        )
    )["explainAccess"]  # fmt: skip
    assert anonymous["relationship"] == "NONE" and anonymous["level"] == "NONE"

    record = (
        await api.data(
            "{ myDisclosures { reason detail fields } }", tenant="kansai-jobs", token=seeker
        )
    )["myDisclosures"]
    assert any(
        entry["detail"].startswith("explainAccess for employer@jobboard.test")
        and entry["fields"] == []
        for entry in record
        if entry["detail"]
    )


RESUME = """mutation($w: [WorkExperienceInput!]!) {
  updateResume(patch: {workHistory: $w}) { lastEmployer } }"""


@pytest.mark.parametrize(
    ("jobs", "last"),
    [
        # Two current jobs: both employers are the last employer.
        (
            [("Old KK", "2010-04-01", "2015-03-31"), ("Since2016 KK", "2016-04-01", None),
             ("Since2020 KK", "2020-04-01", None)],
            {"Since2016 KK", "Since2020 KK"},
        ),
        # None current: the one left most recently, whatever its start.
        (
            [("Long KK", "2012-04-01", "2025-06-30"), ("Short KK", "2016-04-01", "2017-03-31")],
            {"Long KK"},
        ),
    ],
)  # fmt: skip
async def test_the_last_employer_in_plain_words_withheld_and_recorded_wherever_shown(
    api, jobs, last
):
    seeker = await seeker_token(api, 9, "jobboard")  # searchable
    history = [
        {"employer": e, "title": "Engineer", "startDate": s, "endDate": d} for e, s, d in jobs
    ]
    saved = await api.data(RESUME, {"w": history}, tenant="jobboard", token=seeker)
    assert set(saved["updateResume"]["lastEmployer"].split(" / ")) == last

    employer = await employer_of(api, "jobboard")
    found = (
        await api.data(
            "query($c: ID!) { searchCandidates(companyId: $c, first: 50) { resume { "
            + FIELDS
            + " } } }",
            {"c": employer.company_id},
            tenant="jobboard",
            token=employer.token,
        )
    )["searchCandidates"]
    [mine] = [c["resume"] for c in found if c["resume"]["workHistory"][0]["title"] == "Engineer"
              and len(c["resume"]["workHistory"]) == len(jobs)]  # fmt: skip
    employers = {job["employer"] for job in mine["workHistory"]}
    assert not employers & last and employers - {None}, "withheld in search, others shown"

    job_id = await employer.post(title="Where the last employer shows")
    await api.data(
        "mutation($j: ID!) { applyToJob(jobId: $j) { id } }",
        {"j": job_id},
        tenant="jobboard",
        token=seeker,
    )
    applicants = (
        await api.data(
            "query($j: ID!) { applicants(jobId: $j) { candidate { workHistory { employer } } } }",
            {"j": job_id},
            tenant="jobboard",
            token=employer.token,
        )
    )["applicants"]
    assert last <= {job["employer"] for job in applicants[0]["candidate"]["workHistory"]}
    record = (await api.data("{ myDisclosures { fields } }", tenant="jobboard", token=seeker))[
        "myDisclosures"
    ]
    assert [entry["fields"] for entry in record] == [["LAST_EMPLOYER"]]


def _leaves(type_name: str, prefix: str = "") -> tuple[list[str], str]:
    """Every field reachable from a GraphQL type: their 'Type.field' names, and a
    selection that asks for all of them."""
    from graphql import GraphQLObjectType, get_named_type

    from jobgraph.graphql.schema import schema

    object_type = schema._schema.get_type(type_name)
    names, parts = [], []
    for name, field in object_type.fields.items():
        names.append(f"{type_name}.{name}")
        inner = get_named_type(field.type)
        if isinstance(inner, GraphQLObjectType):
            nested, selection = _leaves(inner.name)
            names += nested
            parts.append(f"{name} {{ {selection} }}")
        else:
            parts.append(name)
    return names, " ".join(parts)


def declared(names: list[str]) -> dict[str, frozenset]:
    """What each field declares it can carry (``discloses`` in resumes/types.py), by name;
    a field without a declaration is missing."""
    from jobgraph.graphql.schema import schema
    from jobgraph.resumes.types import DISCLOSES

    found = {}
    for name in names:
        type_name, field_name = name.split(".")
        field = schema._schema.get_type(type_name).fields[field_name]
        metadata = field.extensions["strawberry-definition"].metadata or {}
        if DISCLOSES in metadata:
            found[name] = metadata[DISCLOSES]
    return found


# What each field reachable from a Resume can carry, by the policy's classes, written out
# by hand: the oracle the code's own declarations are checked against.
CARRIES = {
    "Resume.fullName": {"FULL_NAME"},
    "Resume.birthDate": {"BIRTH_DATE"},
    "Resume.gender": {"GENDER"},
    "Resume.nationality": {"NATIONALITY"},
    "Resume.residenceCountry": {"RESIDENCE_COUNTRY"},
    "Resume.residenceRegion": {"RESIDENCE_REGION"},
    "Resume.nearestStation": {"NEAREST_STATION"},
    "Resume.phone": {"PHONE"},
    "Resume.visaStatus": {"VISA_STATUS"},
    "Resume.email": {"EMAIL"},
    "Resume.lastEmployer": {"LAST_EMPLOYER"},
    "Resume.languages": {"LANGUAGES"},
    "LanguageSkill.language": {"LANGUAGES"},
    "LanguageSkill.level": {"LANGUAGES"},
    "Resume.educationLevel": {"EDUCATION"},
    "Resume.educationHistory": {"EDUCATION"},
    "Education.school": {"EDUCATION"},
    "Education.degree": {"EDUCATION"},
    "Education.field": {"EDUCATION"},
    "Education.startYear": {"EDUCATION"},
    "Education.endYear": {"EDUCATION"},
    "Resume.careerLevel": {"CAREER_LEVEL"},
    "Resume.workHistory": {"WORK_HISTORY", "LAST_EMPLOYER"},
    "WorkExperience.employer": {"WORK_HISTORY", "LAST_EMPLOYER"},
    "WorkExperience.title": {"WORK_HISTORY"},
    "WorkExperience.startDate": {"WORK_HISTORY"},
    "WorkExperience.endDate": {"WORK_HISTORY"},
    "Resume.skills": {"SKILLS"},
    "Resume.hobbies": {"HOBBIES"},
    "Resume.desiredCategories": {"DESIRED_CATEGORIES"},
    "Resume.desiredLocations": {"DESIRED_LOCATIONS"},
    # About the disclosure itself, or the owner's own choice: nothing of the seeker's data.
    "Resume.disclosure": set(),
    "ResumeDisclosure.level": set(),
    "ResumeDisclosure.relationship": set(),
    "ResumeDisclosure.withheldFields": set(),
    "Resume.visibility": set(),
    "Resume.updatedAt": set(),
}


def test_every_field_that_can_carry_resume_data_declares_what_it_carries():
    names, _ = _leaves("Resume")
    found = declared(names)
    assert sorted(set(names) - set(found)) == [], "declare what each new field carries"
    assert {name: set(carried) for name, carried in found.items()} == CARRIES


async def test_what_a_read_of_every_field_shows_is_what_it_records(api):
    from jobgraph.policy.fields import PERSONAL_FIELDS

    names, selection = _leaves("Resume")
    carried = declared(names)
    employer = await employer_of(api, "jobboard")
    job_id = await employer.post(title="Every field")
    seeker = await apply_on(api, "jobboard", job_id, 25)
    [application] = (
        await api.data(
            "query($j: ID!) { applicants(jobId: $j) { candidate { " + selection + " } } }",
            {"j": job_id},
            tenant="jobboard",
            token=employer.token,
        )
    )["applicants"]

    shown: set[str] = set()

    def walk(type_name: str, value: dict) -> None:
        for key, item in value.items():
            name = f"{type_name}.{key}"
            for element in item if isinstance(item, list) else [item]:
                if isinstance(element, dict):
                    nested = {
                        "disclosure": "ResumeDisclosure",
                        "languages": "LanguageSkill",
                        "educationHistory": "Education",
                        "workHistory": "WorkExperience",
                    }
                    walk(nested[key], element)  # fmt: skip
                elif element not in (None, []):
                    shown.update(carried[name])

    walk("Resume", application["candidate"])
    [entry] = (await api.data("{ myDisclosures { fields } }", tenant="jobboard", token=seeker))[
        "myDisclosures"
    ]
    assert set(entry["fields"]) == shown & PERSONAL_FIELDS


@pytest.mark.parametrize("site", ["jobboard", "kansai-jobs"])
async def test_search_and_staff_access_disclose_the_same_on_main_and_partner_sites(api, site):
    """The pool's searchable resumes are searched alike on its sites; the pool's staff
    (here an operator on each site) see everything with a purpose, recorded."""
    from tests.support.disclosure import EVERYTHING, PERSONAL, SEARCH

    employer = await employer_of(api, "jobboard")
    token = (await api.sign_in("employer@jobboard.test", site))["accessToken"]
    found = (await api.data(SEARCH, {"c": employer.company_id}, tenant=site, token=token))[
        "searchCandidates"
    ]
    assert len(found) == 20
    for candidate in found:
        check(candidate["resume"], EVERYTHING - PERSONAL)
    operator = await api.operator_token(site)
    staff = await api.data(
        'query { staffResume(email: "seeker4@jobboard.test", purpose: "complaint 7") { '
        + FIELDS
        + " } }",
        tenant=site,
        token=operator,
    )
    check(staff["staffResume"], EVERYTHING)
    seeker = (await api.sign_in("seeker4@jobboard.test", site))["accessToken"]
    [entry] = (
        await api.data("{ myDisclosures { reason detail fields } }", tenant=site, token=seeker)
    )["myDisclosures"]
    assert entry["reason"] == "STAFF_WITH_PURPOSE" and entry["detail"] == "complaint 7"
    assert set(entry["fields"]) == PERSONAL
