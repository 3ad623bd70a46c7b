"""Results in parts (@defer, @stream over multipart/mixed): a search page's rows first and
its counts after, each part recorded and shaped as a whole result is, and a clear refusal
where a client cannot receive parts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import error_code
from tests.support.disclosure import applied

PARTS = "multipart/mixed, application/json"

PAGE = """query($deferred: Boolean!) {
  jobs(first: 5, sort: NEWEST, filter: {prefecture: "Osaka"}) {
    edges { node { id title } }
    ... @defer(if: $deferred, label: "counts") {
      totalCount
      facets { category { value count } employmentType { value count } }
      salaryHistogram(bounds: [0, 4000000]) { min count }
    }
  }
}"""


def parts_of(response: Any) -> list[dict]:
    """The JSON payloads of a multipart/mixed response, in order."""
    content_type = response.headers["content-type"]
    assert content_type.startswith("multipart/mixed"), content_type
    boundary = content_type.split('boundary="', 1)[1].rstrip('"')
    found = []
    for chunk in response.text.split(f"--{boundary}"):
        head, _, body = chunk.partition("\r\n\r\n")
        if "application/json" in head:
            found.append(json.loads(body))
    return found


def merged(parts: list[dict]) -> dict:
    """The data a client assembles from the parts: each deferred part's data placed at the
    path its pending entry announced, each streamed list's items appended to it."""
    first, *later = parts
    data = first["data"]
    paths = {pending["id"]: pending["path"] for pending in first.get("pending", [])}
    for part in later:
        paths |= {pending["id"]: pending["path"] for pending in part.get("pending", [])}
        for piece in part.get("incremental", []):
            target = data
            for key in [*paths[piece["id"]], *piece.get("subPath", [])]:
                target = target[key]
            if "items" in piece:
                target.extend(piece["items"])
            else:
                target.update(piece["data"])
    return data


async def test_a_search_page_sends_its_rows_first_and_its_counts_after(api):
    whole = await api.data(PAGE, {"deferred": False}, tenant="kansai-jobs")
    response = await api.post(
        PAGE, {"deferred": True}, tenant="kansai-jobs", headers={"Accept": PARTS}
    )
    assert response.status_code == 200
    first, *later = parts_of(response)
    assert [edge["node"]["id"] for edge in first["data"]["jobs"]["edges"]] == [
        edge["node"]["id"] for edge in whole["jobs"]["edges"]
    ]
    assert "totalCount" not in first["data"]["jobs"], "the counts wait for a later part"
    assert first["hasNext"] is True
    assert first["pending"] == [{"id": "0", "path": ["jobs"], "label": "counts"}]
    cost = first["extensions"]["cost"]
    assert cost["requestedQueryCost"] == cost["actualQueryCost"] > 0
    assert later and later[-1]["hasNext"] is False
    assert {"id": "0"} in [done for part in later for done in part.get("completed", [])]
    assert merged([first, *later]) == whole
    assert whole["jobs"]["totalCount"] > 0


async def test_a_streamed_list_sends_its_first_items_first(api):
    query = "{ jobs(first: 3, sort: NEWEST) { edges @stream(initialCount: 1) { node { id } } } }"
    whole = await api.data(query.replace("@stream(initialCount: 1)", ""), tenant="kansai-jobs")
    parts = parts_of(await api.post(query, tenant="kansai-jobs", headers={"Accept": PARTS}))
    assert len(parts[0]["data"]["jobs"]["edges"]) == 1 and len(parts) > 1
    assert merged(parts) == whole and len(whole["jobs"]["edges"]) == 3


async def test_a_client_that_cannot_receive_parts_is_told_what_to_send(api):
    body = await api.graphql(PAGE, {"deferred": True}, tenant="kansai-jobs")
    assert error_code(body) == "BAD_USER_INPUT"
    assert "Accept: multipart/mixed" in body["errors"][0]["message"]
    assert body.get("data") is None
    # `if: false` defers nothing: a whole answer, to any client.
    assert (await api.data(PAGE, {"deferred": False}, tenant="kansai-jobs"))["jobs"]["edges"]


async def test_parts_are_refused_over_get_and_for_introspection(api):
    response = await api.http.get(
        "/graphql",
        params={"query": "{ jobs(first: 1) { edges { node { id } } ... @defer { totalCount } } }"},
        headers={"X-Tenant": "jobboard", "Accept": PARTS},
    )
    assert "sent with POST" in response.json()["errors"][0]["message"]
    response = await api.post(
        "{ ... @defer { __schema { queryType { name } } } }",
        tenant="community",
        headers={"Accept": PARTS},
    )
    assert error_code(response.json()) == "BAD_USER_INPUT"
    assert "Introspection is answered whole" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("deferred", ["... @defer { ...Personal }", "...Personal @defer"])
async def test_what_a_later_part_discloses_is_recorded(api, deferred):
    employer, job_id, _, seeker = await applied(api, "jobboard", 9)
    query = (
        "query($j: ID!) { applicants(jobId: $j) { id candidate { disclosure { level } "
        + deferred
        + " } } } fragment Personal on Resume { fullName phone }"
    )
    response = await api.post(
        query, {"j": job_id}, tenant="jobboard", token=employer.token, headers={"Accept": PARTS}
    )
    parts = parts_of(response)
    assert "phone" not in parts[0]["data"]["applicants"][0]["candidate"]
    candidate = merged(parts)["applicants"][0]["candidate"]
    assert candidate["phone"] == "+81-90-0000-0009"
    record = (await api.data("{ myDisclosures { fields } }", tenant="jobboard", token=seeker))[
        "myDisclosures"
    ]
    assert {field for row in record for field in row["fields"]} == {"FULL_NAME", "PHONE"}


async def test_an_error_in_a_later_part_has_its_code_and_spares_the_rows(api):
    query = (
        "{ jobs(first: 2) { edges { node { id } } "
        "... @defer { salaryHistogram(bounds: [4000000, 3000000]) { min count } } } }"
    )
    parts = parts_of(await api.post(query, tenant="kansai-jobs", headers={"Accept": PARTS}))
    assert len(parts[0]["data"]["jobs"]["edges"]) == 2
    errors = [
        error
        for part in parts[1:]
        for entry in [*part.get("incremental", []), *part.get("completed", [])]
        for error in entry.get("errors", [])
    ]
    assert [error["extensions"]["code"] for error in errors] == ["BAD_USER_INPUT"], parts
    assert "must rise" in errors[0]["message"]
