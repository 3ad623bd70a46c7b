"""Prefectures as Japanese job seekers write them: a filter, a posting and a partner's feed
take any spelling, and answers carry the JIS code with both names."""

from __future__ import annotations

import pytest

from tests.conftest import error_code
from tests.support.employers import employer_of

OSAKA_TOTAL = """query($prefecture: String) {
  jobs(filter: {prefecture: $prefecture}, first: 1) {
    totalCount
    edges { node { location { prefecture prefectureInfo { code name nameJa } } } }
    facets { prefecture { value count prefecture { code nameJa } } } } }"""


@pytest.mark.parametrize(
    "spelling", ["osaka", "大阪府", "大阪", "Osaka-fu", "Ōsaka", "27", "JP-27"]
)
async def test_any_spelling_of_a_prefecture_finds_its_postings(api, spelling):
    canonical = (await api.data(OSAKA_TOTAL, {"prefecture": "Osaka"}, tenant="jobboard"))["jobs"]
    found = (await api.data(OSAKA_TOTAL, {"prefecture": spelling}, tenant="jobboard"))["jobs"]
    assert found["totalCount"] == canonical["totalCount"] > 0
    location = found["edges"][0]["node"]["location"]
    assert location == {
        "prefecture": "Osaka",
        "prefectureInfo": {"code": "27", "name": "Osaka", "nameJa": "大阪府"},
    }
    osaka = next(item for item in found["facets"]["prefecture"] if item["value"] == "Osaka")
    assert osaka["prefecture"] == {"code": "27", "nameJa": "大阪府"}


async def test_an_unknown_place_is_bad_input_that_lists_the_prefectures(api):
    body = await api.graphql(OSAKA_TOTAL, {"prefecture": "Osakaa"}, tenant="jobboard")
    assert error_code(body) == "BAD_USER_INPUT"
    error = body["errors"][0]
    assert error["extensions"]["field"] == "filter.prefecture"
    assert "'Osakaa' is not a prefecture of Japan" in error["message"]
    assert "Hokkaido (01)" in error["message"] and "Okinawa (47)" in error["message"]


async def test_the_47_prefectures_by_code_with_both_names(api):
    listed = (await api.data("{ prefectures { code name nameJa } }", tenant="community"))[
        "prefectures"
    ]
    assert len(listed) == 47 and [p["code"] for p in listed] == [f"{n:02d}" for n in range(1, 48)]
    assert listed[12] == {"code": "13", "name": "Tokyo", "nameJa": "東京都"}


async def test_a_posting_keeps_the_english_name_whatever_its_employer_wrote(api):
    employer = await employer_of(api, "jobboard")
    job_id = await employer.post(title="Kyoto guide", prefecture="京都府")
    job = (
        await api.data(
            "query($id: ID!) { job(id: $id) { location { prefecture } } }",
            {"id": job_id},
            tenant="jobboard",
        )
    )["job"]
    assert job["location"]["prefecture"] == "Kyoto"
    body = await api.graphql(
        "mutation($input: JobInput!) { createJob(input: $input) { id } }",
        {
            "input": {
                "companyId": employer.company_id,
                "title": "Nowhere",
                "description": "Work.",
                "category": "ENGINEERING",
                "employmentType": "FULL_TIME",
                "prefecture": "Atlantis",
            }
        },
        tenant="jobboard",
        token=employer.token,
    )
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "prefecture"


def test_a_partner_feed_takes_any_spelling_and_keeps_the_english_name():
    from jobgraph.policy.config import FeedPolicy

    assert FeedPolicy(prefectures=["大阪府", "kyoto-fu", "28"]).prefectures == [
        "Osaka",
        "Kyoto",
        "Hyogo",
    ]
    with pytest.raises(ValueError, match="'Kansai' is not a prefecture of Japan"):
        FeedPolicy(prefectures=["Kansai"])
