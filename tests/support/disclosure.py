"""What each demo site discloses of a resume by each path, written from the seed
policies and the tenant files (not from the code), and the steps to an application."""

from __future__ import annotations

from tests.support.employers import employer_of

FIELDS = """fullName birthDate gender nationality residenceCountry residenceRegion
  nearestStation phone visaStatus email lastEmployer languages { language level }
  educationLevel educationHistory { school } careerLevel
  workHistory { employer title } skills hobbies desiredCategories desiredLocations
  disclosure { level relationship withheldFields }"""


GRAPHQL_NAMES = {
    "FULL_NAME": "fullName",
    "BIRTH_DATE": "birthDate",
    "GENDER": "gender",
    "NATIONALITY": "nationality",
    "RESIDENCE_COUNTRY": "residenceCountry",
    "RESIDENCE_REGION": "residenceRegion",
    "NEAREST_STATION": "nearestStation",
    "PHONE": "phone",
    "VISA_STATUS": "visaStatus",
    "EMAIL": "email",
    "LAST_EMPLOYER": "lastEmployer",
    "LANGUAGES": "languages",
    "CAREER_LEVEL": "careerLevel",
    "WORK_HISTORY": "workHistory",
    "SKILLS": "skills",
    "HOBBIES": "hobbies",
    "DESIRED_CATEGORIES": "desiredCategories",
    "DESIRED_LOCATIONS": "desiredLocations",
}


EVERYTHING = set(GRAPHQL_NAMES) | {"EDUCATION"}


PERSONAL = {
    "FULL_NAME",
    "BIRTH_DATE",
    "GENDER",
    "NATIONALITY",
    "RESIDENCE_COUNTRY",
    "RESIDENCE_REGION",
    "NEAREST_STATION",
    "PHONE",
    "VISA_STATUS",
    "EMAIL",
    "LAST_EMPLOYER",
}


COMMUNITY_PUBLIC = {
    "FULL_NAME",
    "BIRTH_DATE",
    "NATIONALITY",
    "RESIDENCE_COUNTRY",
    "VISA_STATUS",
    "LANGUAGES",
    "EDUCATION",
    "WORK_HISTORY",
    "LAST_EMPLOYER",
    "SKILLS",
    "HOBBIES",
}


# The expected disclosure, written from the seed policies and the tenant files, not from
# the code: (tenant, path) -> fields disclosed.
EXPECTED = {
    ("jobboard", "owner"): EVERYTHING,
    ("jobboard", "application"): EVERYTHING,
    ("jobboard", "search"): EVERYTHING - PERSONAL,
    ("kansai-jobs", "application"): EVERYTHING,
    ("community", "owner"): EVERYTHING,
    ("community", "application"): COMMUNITY_PUBLIC | {"EMAIL"},
    ("community", "public"): COMMUNITY_PUBLIC,
}


def disclosed_fields(resume: dict) -> set[str]:
    """Which fields came back with a value (EDUCATION: both education fields)."""
    shown = {name for name, key in GRAPHQL_NAMES.items() if resume[key] not in (None, [])}
    if resume["educationLevel"] is not None and resume["educationHistory"] is not None:
        shown.add("EDUCATION")
    return shown


def check(resume: dict, expected: set[str]) -> None:
    assert disclosed_fields(resume) == expected
    assert set(resume["disclosure"]["withheldFields"]) == EVERYTHING - expected
    if "WORK_HISTORY" in expected and "LAST_EMPLOYER" not in expected:
        employers = [job["employer"] for job in resume["workHistory"]]
        assert employers[-1] is None and employers[0].startswith("First Employer")


async def seeker_token(api, number: int, tenant: str) -> str:
    return (await api.sign_in(f"seeker{number}@{tenant}.test", tenant))["accessToken"]


async def applied(api, tenant: str, number: int):
    """Seeker <number> applies to a posting of the tenant's demo employer."""
    employer = await employer_of(api, tenant)
    job_id = await employer.post(title=f"Applied job {number}")
    token = await seeker_token(api, number, tenant)
    data = await api.data(
        "mutation($j: ID!) { applyToJob(jobId: $j) { id status } }",
        {"j": job_id},
        tenant=tenant,
        token=token,
    )
    return employer, job_id, data["applyToJob"]["id"], token


APPLICANTS = "query($j: ID!) { applicants(jobId: $j) { id status candidate { " + FIELDS + " } } }"


SEARCH = (
    """query($c: ID!, $skills: [String!]) { searchCandidates(companyId: $c, skills: $skills,
  first: 50) { candidateId resume { """
    + FIELDS
    + " } } }"
)


# An operator narrows what a site discloses on application (run on the main site).
NARROW = (
    "mutation($s: String!) { updateTenantPolicy(slug: $s, changes: "
    '{application_disclosed_fields: ["FULL_NAME", "EMAIL", "LANGUAGES"]}) '
    "{ settings { version } } }"
)
