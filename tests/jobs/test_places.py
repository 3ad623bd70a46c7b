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


STATIONS = """query($filter: JobFilterInput) {
  jobs(filter: $filter, first: 5) {
    totalCount
    edges { node { location { nearestStation station { name nameJa lines { name } } } } }
    facets { nearestStation { value count station { nameJa } }
             line { value count line { nameJa } } } } }"""


async def test_stations_in_either_script_with_their_lines(api):
    by_name = await api.data(STATIONS, {"filter": {"nearestStation": "Umeda"}}, tenant="jobboard")
    by_kanji = await api.data(STATIONS, {"filter": {"nearestStation": "梅田駅"}}, tenant="jobboard")
    assert by_kanji["jobs"]["totalCount"] == by_name["jobs"]["totalCount"] > 0
    station = by_kanji["jobs"]["edges"][0]["node"]["location"]["station"]
    assert station["name"] == "Umeda" and station["nameJa"] == "梅田"
    assert "Osaka Metro Midosuji Line" in [line["name"] for line in station["lines"]]
    # The station facet still lists the others (it leaves out its own filter).
    facet = by_kanji["jobs"]["facets"]["nearestStation"]
    assert {"Umeda", "Namba"} <= {item["value"] for item in facet}
    namba = next(item for item in facet if item["value"] == "Namba")
    assert namba["station"] == {"nameJa": "なんば"}


async def test_a_line_finds_the_postings_near_its_stations(api):
    midosuji = await api.data(
        STATIONS, {"filter": {"line": "Osaka Metro御堂筋線"}}, tenant="jobboard"
    )
    umeda = await api.data(STATIONS, {"filter": {"nearestStation": "Umeda"}}, tenant="jobboard")
    namba = await api.data(STATIONS, {"filter": {"nearestStation": "Namba"}}, tenant="jobboard")
    total = umeda["jobs"]["totalCount"] + namba["jobs"]["totalCount"]
    assert midosuji["jobs"]["totalCount"] == total > 0
    everything = await api.data(STATIONS, tenant="jobboard")
    line = next(
        item
        for item in everything["jobs"]["facets"]["line"]
        if item["value"] == "Osaka Metro Midosuji Line"
    )
    assert line["count"] == total and line["line"] == {"nameJa": "Osaka Metro御堂筋線"}
    lines = (await api.data("{ railwayLines { name nameJa } }", tenant="jobboard"))["railwayLines"]
    assert {"name": "Hankyu Kobe Line", "nameJa": "阪急神戸線"} in lines
    body = await api.graphql(STATIONS, {"filter": {"line": "Hogwarts Express"}}, tenant="jobboard")
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "filter.line"
