"""Viewers with no relationship to a resume: anonymous visitors, partner keys and clients,
staff without a purpose. They see public profiles where a site offers them, and nothing
else, whatever path they try."""

import json

import pytest

from tests.conftest import error_code
from tests.support.disclosure import COMMUNITY_PUBLIC, FIELDS, check

PUBLIC = "{ publicProfiles(first: 30) { " + FIELDS + " } }"


async def credentials(api, kind: str, tenant: str) -> dict:
    admin = (await api.staff_sign_in(f"admin@{tenant}.test", tenant))["accessToken"]
    if kind == "anonymous":
        return {}
    if kind == "site key":
        key = (
            await api.data(
                'mutation { createSiteKey(name: "page") { key } }', tenant=tenant, token=admin
            )
        )["createSiteKey"]["key"]
        origin = {
            "jobboard": "https://www.jobboard.test",
            "community": "https://www.community-jobs.test",
        }[tenant]
        return {"headers": {"X-Site-Key": key, "Origin": origin}}
    if kind == "staff without purpose":
        return {"token": admin}
    if kind == "operator without purpose":
        return {"token": await api.operator_token(tenant)}
    if kind == "seeker":
        return {"token": (await api.sign_in(f"seeker1@{tenant}.test", tenant))["accessToken"]}
    raise AssertionError(kind)


KINDS = ["anonymous", "site key", "staff without purpose", "operator without purpose", "seeker"]


@pytest.mark.parametrize("kind", KINDS)
async def test_public_profiles_on_the_community_site(api, kind):
    profiles = (
        await api.data(PUBLIC, tenant="community", **await credentials(api, kind, "community"))
    )["publicProfiles"]
    assert len(profiles) == 10
    for profile in profiles:
        check(profile, COMMUNITY_PUBLIC)
    dumped = json.dumps(profiles)
    assert "+81-80" not in dumped and "@community.test" not in dumped


@pytest.mark.parametrize("kind", KINDS)
async def test_nothing_of_the_job_boards_resumes(api, kind):
    extra = await credentials(api, kind, "jobboard")
    assert (await api.data(PUBLIC, tenant="jobboard", **extra))["publicProfiles"] == []
    search = await api.graphql(
        '{ searchCandidates(companyId: "00000000-0000-0000-0000-000000000000") { candidateId } }',
        tenant="jobboard",
        **extra,
    )
    assert error_code(search) in ("FORBIDDEN", "UNAUTHENTICATED")
    staff = await api.graphql(
        '{ staffResume(email: "seeker3@jobboard.test") { phone } }', tenant="jobboard", **extra
    )
    assert staff["data"]["staffResume"] is None
    if kind.endswith("without purpose"):
        # Staff without a stated purpose see what an anonymous visitor sees: of a
        # searchable resume, nothing.
        assert "errors" not in staff, staff
    else:
        assert (
            error_code(staff)
            == {
                "anonymous": "UNAUTHENTICATED",
                "site key": "FORBIDDEN",
                "seeker": "FORBIDDEN",
            }[kind]
        )
