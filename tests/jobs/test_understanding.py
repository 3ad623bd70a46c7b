"""Searches that would find nothing are broadened and say so; a partner's page may ask for
diversity: at most so many postings of one company."""

from __future__ import annotations

from collections import Counter

from tests.conftest import error_code

SEARCH = """query($search: String, $max: Int, $after: String) {
  jobs(search: $search, first: 20, maxPerCompany: $max, after: $after) {
    totalCount broadened { droppedTerm searchedFor }
    edges { node { title company { id } } }
    pageInfo { hasNextPage endCursor } } }"""


async def test_a_search_that_finds_nothing_drops_its_most_narrowing_term(api):
    plain = (await api.data(SEARCH, {"search": "teacher"}, tenant="jobboard"))["jobs"]
    assert plain["totalCount"] > 0 and plain["broadened"] is None
    found = (await api.data(SEARCH, {"search": "teacher zyxwvut"}, tenant="jobboard"))["jobs"]
    assert found["broadened"] == {"droppedTerm": "zyxwvut", "searchedFor": "teacher"}
    assert found["totalCount"] == plain["totalCount"]
    assert [e["node"]["title"] for e in found["edges"]] == [
        e["node"]["title"] for e in plain["edges"]
    ]
    alone = (await api.data(SEARCH, {"search": "zyxwvut"}, tenant="jobboard"))["jobs"]
    assert alone == {
        "totalCount": 0,
        "broadened": None,
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }


async def test_diversity_keeps_a_page_to_so_many_postings_of_a_company(api):
    crowded = (await api.data(SEARCH, {}, tenant="jobboard"))["jobs"]
    assert max(Counter(e["node"]["company"]["id"] for e in crowded["edges"]).values()) > 1
    seen: Counter[str] = Counter()
    after = None
    for _ in range(3):  # page on: no company comes back past its share
        page = (await api.data(SEARCH, {"max": 1, "after": after}, tenant="jobboard"))["jobs"]
        seen.update(e["node"]["company"]["id"] for e in page["edges"])
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    assert seen and max(seen.values()) == 1
    body = await api.graphql(SEARCH, {"max": 0}, tenant="jobboard")
    assert error_code(body) == "BAD_USER_INPUT"


SUGGEST = """query($search: String) { jobs(search: $search, first: 5) {
  totalCount suggestion broadened { droppedTerm } } }"""


async def test_a_misspelled_search_suggests_what_would_find_something(api):
    found = (await api.data(SUGGEST, {"search": "pyhton"}, tenant="jobboard"))["jobs"]
    assert found == {"totalCount": 0, "suggestion": "python", "broadened": None}
    spelled = (await api.data(SUGGEST, {"search": "python"}, tenant="jobboard"))["jobs"]
    assert spelled["totalCount"] > 0 and spelled["suggestion"] is None
    # Both words misspelled: both respelled, as one suggestion.
    both = (await api.data(SUGGEST, {"search": "backnd enginer"}, tenant="jobboard"))["jobs"]
    assert both["suggestion"] == "backend engineer"
    # Nothing close: no suggestion rather than a wild one.
    none = (await api.data(SUGGEST, {"search": "qwertyuiop"}, tenant="jobboard"))["jobs"]
    assert none == {"totalCount": 0, "suggestion": None, "broadened": None}
