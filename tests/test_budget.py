"""Each caller's budget of cost points (graphql/budget.py): every response says what its
query cost and what the caller has left; a caller that spent its budget is throttled
while others are served; buckets are shared through Redis."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from bench.servers import FACETS_QUERY
from bench.servers import QUERY as PLAIN_PAGE

from jobgraph.jobs.types import FACETS_COST, HISTOGRAM_COST, TOTAL_COST
from jobgraph.policy.config import ApiPolicy
from jobgraph.ratelimit import CostBuckets
from tests.conftest import Api, client_at
from tests.support.servers import empty_redis_or_skip

PAGE = "query($n: Int!) { jobs(first: $n) { totalCount edges { node { id title } } } }"
FEW = '{ jobs(first: 50, search: "engineer") { totalCount edges { node { id title } } } }'


def cost_of(body: dict) -> dict:
    return body["extensions"]["cost"]


async def small_budget(reconfigure, points: int, read_cost_per_token: int = 0) -> None:
    """The main site's callers get ``points``, and one back a second; reading a new
    document free unless said (what most tests here check is what the query costs)."""
    api = {
        "cost_budget": points,
        "cost_restore_per_second": 1,
        "max_cost": points,
        "read_cost_per_token": read_cost_per_token,
    }
    await reconfigure({"jobboard": {"policy": {"api": api}}})


async def test_every_answer_says_what_it_cost_and_what_is_left(api):
    await api.indexed()  # its counts from memory: their cost to the database given back
    body = await api.graphql(PAGE, {"n": 5}, tenant="jobboard")
    assert len(body["data"]["jobs"]["edges"]) == 5
    cost = cost_of(body)
    # A point a field, times its page; and what counting the whole search costs.
    assert cost["requestedQueryCost"] == 1 + 1 + TOTAL_COST + 1 + 5 * 3
    assert cost["actualQueryCost"] == cost["requestedQueryCost"] - TOTAL_COST
    status = cost["throttleStatus"]
    assert status["maximumAvailable"] == 20_000 and status["restoreRate"] == 2_000
    # A document new to the server: reading it was paid for too.
    assert cost["readCost"] > 0
    spent = cost["actualQueryCost"] + cost["readCost"]
    assert 20_000 - spent <= status["currentlyAvailable"] <= 20_000

    # A page the search cannot fill costs only what it returned (and its count, which
    # needed the database to find what the text matches).
    body = await api.graphql(FEW, tenant="jobboard")
    returned = len(body["data"]["jobs"]["edges"])
    assert 0 < returned < 50
    cost = cost_of(body)
    assert cost["requestedQueryCost"] == 1 + 1 + TOTAL_COST + 1 + 50 * 3
    assert cost["actualQueryCost"] == cost["requestedQueryCost"] - (50 - returned) * 3

    # Refused by a limit, it cost nothing; a mutation has its cost too.
    refused = await api.graphql(
        "{ jobs(first: 50) { edges { node { similarJobs(first: 20) "
        "{ id title tags company { id name } } } } } }",
        tenant="jobboard",
    )
    assert refused["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert cost_of(refused)["actualQueryCost"] == 0
    signed_in = await api.graphql(
        'mutation { login(email: "nobody@jobboard.test", password: "wrong-password") '
        "{ accessToken } }",
        tenant="jobboard",
    )
    assert cost_of(signed_in)["requestedQueryCost"] >= 1


async def test_the_whole_search_page_costs_what_its_counts_cost_the_database(api):
    await api.indexed()
    plain = cost_of(await api.graphql(PLAIN_PAGE, tenant="kansai-jobs"))
    counts = TOTAL_COST + FACETS_COST + HISTOGRAM_COST
    # Asked first of a search text, its counts need the database (the text's matches).
    cold = FACETS_QUERY.replace("sort: NEWEST,", 'sort: NEWEST, search: "engineer",')
    whole = cost_of(await api.graphql(cold, tenant="kansai-jobs"))
    assert whole["requestedQueryCost"] > plain["requestedQueryCost"] + counts
    assert whole["requestedQueryCost"] > 5 * plain["requestedQueryCost"]
    # Again, every count comes from memory (the index, the text's matches kept): the
    # database did nothing for them, and they are given back (the unfilled page's items
    # are, both times).
    again = cost_of(await api.graphql(cold, tenant="kansai-jobs"))
    assert again["requestedQueryCost"] == whole["requestedQueryCost"]
    assert again["actualQueryCost"] == whole["actualQueryCost"] - counts

    # One count that needed the database, beside one from memory: both are charged.
    both = (
        '{ known: jobs(first: 1, search: "engineer") { totalCount } '
        'new: jobs(first: 1, search: "designer") { totalCount } }'
    )
    mixed = cost_of(await api.graphql(both, tenant="kansai-jobs"))
    assert mixed["requestedQueryCost"] - mixed["actualQueryCost"] < TOTAL_COST


async def test_a_new_document_costs_its_reading_once_and_its_values_as_variables_nothing(
    api, reconfigure
):
    """Reading a document the server has not read costs its caller a price per token, before
    it is read; the same document again, whatever its variables, costs nothing to read."""
    per_token = 25  # the default
    short = "query($n: Int!) { jobs(first: $n) { edges { node { id } } } }"
    longer = "query($n: Int!) { jobs(first: $n) { edges { cursor node { id title tags } } } }"
    first = cost_of(await api.graphql(short, {"n": 3}, tenant="jobboard"))
    assert first["readCost"] > 0 and first["readCost"] % per_token == 0
    # A price a token: the longer document, three tokens more, costs three prices more.
    assert cost_of(await api.graphql(longer, {"n": 3}, tenant="jobboard"))["readCost"] == (
        first["readCost"] + 3 * per_token
    )
    again = cost_of(await api.graphql(short, {"n": 7}, tenant="jobboard"))
    assert again["readCost"] == 0
    assert again["requestedQueryCost"] > first["requestedQueryCost"]  # its own values'

    # A site may make reading free.
    await reconfigure({"jobboard": {"policy": {"api": {"read_cost_per_token": 0}}}})
    free = cost_of(await api.graphql(short.replace("id", "id title"), {"n": 3}, tenant="jobboard"))
    assert free["readCost"] == 0


async def test_a_new_document_whose_reading_the_budget_cannot_hold_is_refused_unread(
    api, reconfigure
):
    query = "{ jobs(first: 20) { edges { node { id title tags } } } }"
    await api.graphql(query, tenant="jobboard")  # read once: it costs no reading now
    price = cost_of(await api.graphql(query, tenant="jobboard"))["actualQueryCost"]
    await small_budget(reconfigure, price + 60, read_cost_per_token=20)
    async with client_at(api.app, "192.0.2.30") as mine, client_at(api.app, "192.0.2.31") as other:
        me, them = Api(api.app, mine), Api(api.app, other)
        known = await me.post(query, tenant="jobboard")
        assert known.status_code == 200 and cost_of(known.json())["readCost"] == 0
        # Sixty points left: a new document of four tokens (80 points) is refused before
        # it is read, even one that would not parse.
        refused = await me.post("{ tenant { slug ", tenant="jobboard")
        assert refused.status_code == 429
        [error] = refused.json()["errors"]
        assert error["extensions"]["code"] == "THROTTLED"
        assert "new to the server: reading it costs 80 points" in error["message"]
        assert f"Try again in {refused.headers['Retry-After']} seconds" in error["message"]
        # Another caller, its budget full, has it read (and is told it does not parse).
        read = (await them.post("{ tenant { slug ", tenant="jobboard")).json()["errors"][0]
        assert read["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_a_caller_over_its_budget_is_throttled_while_others_are_served(api, reconfigure):
    # No count: it costs the same whether counts come from memory or not.
    query = "{ jobs(first: 20) { edges { node { id title tags } } } }"
    price = cost_of(await api.graphql(query, tenant="jobboard"))["actualQueryCost"]
    await small_budget(reconfigure, price * 5 // 2)  # two of them, not three
    async with client_at(api.app, "192.0.2.10") as mine, client_at(api.app, "192.0.2.11") as other:
        me, them = Api(api.app, mine), Api(api.app, other)
        spent = [await me.post(query, tenant="jobboard") for _ in range(3)]
        assert [answer.status_code for answer in spent] == [200, 200, 429]
        throttled = spent[2].json()
        error = throttled["errors"][0]
        assert error["extensions"]["code"] == "THROTTLED"
        assert "data" not in throttled or throttled["data"] is None
        left = cost_of(throttled)["throttleStatus"]["currentlyAvailable"]
        wanted = cost_of(throttled)["requestedQueryCost"]
        assert left < wanted
        # It says when the budget will hold the query again: a point comes back a second.
        assert int(spent[2].headers["Retry-After"]) == error["extensions"]["retryAfter"]
        assert wanted - left - 1 <= error["extensions"]["retryAfter"] <= wanted - left + 1
        assert f"Try again in {error['extensions']['retryAfter']} seconds" in error["message"]

        # Another caller, and the same caller on another site, are served.
        assert (await them.post(query, tenant="jobboard")).status_code == 200
        assert (await me.post(query, tenant="community")).status_code == 200
        # A cheap query still fits in what is left.
        assert (await me.post("{ tenant { slug } }", tenant="jobboard")).status_code == 200


async def test_a_caller_that_does_not_wait_as_told_is_refused_unread_until_it_has(
    api, reconfigure, monkeypatch
):
    """Refused for its budget, told to wait, it sends an expensive query again: from then
    on, until that wait ends, its queries are refused before they are read (reading a
    new document costs the service more than refusing it). Others are served."""
    from jobgraph.graphql import budget

    query = "{ jobs(first: 20) { edges { node { id title tags } } } }"
    price = cost_of(await api.graphql(query, tenant="jobboard"))["actualQueryCost"]
    await small_budget(reconfigure, price * 3 // 2)
    now = [1000.0]
    monkeypatch.setattr(budget, "time", SimpleNamespace(monotonic=lambda: now[0]))
    async with client_at(api.app, "192.0.2.20") as mine, client_at(api.app, "192.0.2.21") as other:
        me, them = Api(api.app, mine), Api(api.app, other)
        assert (await me.post(query, tenant="jobboard")).status_code == 200
        first = (await me.post(query, tenant="jobboard")).json()["errors"][0]
        assert "Try again in" in first["message"]
        # Within the wait: a cheap query that fits is served; the costly one is read
        # and refused again...
        assert (await me.post("{ tenant { slug } }", tenant="jobboard")).status_code == 200
        again = await me.post(query, tenant="jobboard")
        assert again.status_code == 429 and "without reading" not in again.text
        # ...and from then on nothing is read: not even a document that does not parse.
        unread = await me.post("{ tenant { slug ", tenant="jobboard")
        assert unread.status_code == 429
        [error] = unread.json()["errors"]
        assert error["extensions"]["code"] == "THROTTLED"
        assert "without reading them" in error["message"]
        wait = int(unread.headers["Retry-After"])
        assert error["extensions"]["retryAfter"] == wait >= 1
        assert (await them.post(query, tenant="jobboard")).status_code == 200

        now[0] += wait  # the wait it was told has ended: its queries are read again
        read = (await me.post("{ tenant { slug ", tenant="jobboard")).json()["errors"][0]
        assert read["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_over_the_graphql_media_type_a_throttled_query_is_a_429(api, reconfigure):
    await small_budget(reconfigure, 100)
    query = "{ jobs(first: 10) { edges { node { id title company { name } } } } }"
    headers = {"Accept": "application/graphql-response+json"}
    answers = [await api.post(query, tenant="jobboard", headers=headers) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [200, 429]
    assert answers[1].headers["content-type"].startswith("application/graphql-response+json")
    assert "Retry-After" in answers[1].headers


async def test_a_shared_public_answer_carries_no_callers_budget(api, reconfigure):
    """A public read that caches and CDNs keep answers every visitor alike: its costs, not
    the first caller's budget."""
    await reconfigure(
        {"jobboard": {"policy": {"api": {"allow_get_queries": True, "public_cache_max_age_s": 60}}}}
    )
    query = "{ jobs(first: 3) { edges { node { id title } } } }"
    answer = await api.http.get(
        "/graphql", params={"query": query}, headers={"Host": "jobboard.localhost"}
    )
    assert answer.headers["cache-control"].startswith("public")
    cost = cost_of(answer.json())
    assert cost["requestedQueryCost"] > 0
    assert "throttleStatus" not in cost and "readCost" not in cost


def test_a_site_cannot_allow_a_query_its_budget_cannot_hold():
    with pytest.raises(ValueError, match="must fit in a caller's full budget"):
        ApiPolicy(max_cost=5000, cost_budget=1000)


@pytest.mark.needs("redis")
async def test_every_process_draws_on_one_bucket_where_redis_is_configured():
    url = empty_redis_or_skip()
    first, second = CostBuckets(url), CostBuckets(url)
    try:
        spent = await first.take("jobboard:address:192.0.2.1", 600, 1000, 1)
        assert spent.taken and 399 <= spent.available <= 401
        # The first process holds a lease of a tenth of the bucket (100 points).
        refused = await second.take("jobboard:address:192.0.2.1", 600, 1000, 1)
        assert not refused.taken and 299 <= refused.available <= 302
        given_back = await second.take("jobboard:address:192.0.2.1", -300, 1000, 1)
        assert 599 <= given_back.available <= 602
        assert (await first.take("jobboard:address:192.0.2.1", 600, 1000, 1)).taken
        assert not first.redis.away and not second.redis.away
    finally:
        await first.close()
        await second.close()


@pytest.mark.needs("redis")
async def test_points_given_back_reach_redis_with_the_next_take_or_on_their_own():
    """What a query did not use waits in its process, which reports the bucket as it will
    be; another process sees the points once this one's next take carries them (anyone's
    take), or once they are sent on their own, shortly after."""
    url = empty_redis_or_skip()
    first, second = CostBuckets(url), CostBuckets(url)
    caller = "jobboard:address:192.0.2.1"
    try:
        spent = await first.take(caller, 999, 1000, 1)  # too near the limit for a lease
        assert spent.taken and 0 <= spent.available <= 2
        back = first.give_back(caller, 500, spent)
        assert 500 <= back.available <= 502
        assert not (await second.take(caller, 450, 1000, 1)).taken  # not there yet
        await first.take("jobboard:address:192.0.2.2", 1, 1000, 1)  # carries them
        taken = await second.take(caller, 450, 1000, 1)
        assert taken.taken and 50 <= taken.available <= 53

        second.give_back(caller, 450, taken)
        await second.all_given_back()  # sent on their own
        assert (await first.take(caller, 490, 1000, 1)).taken
        assert not first.redis.away and not second.redis.away
    finally:
        await first.close()
        await second.close()


def points_in_redis(url: str, caller: str) -> float:
    import redis

    return float(redis.Redis.from_url(url).hget(f"jobgraph:cost:{caller}", "points") or "nan")


@pytest.mark.needs("redis")
async def test_a_process_spends_a_lease_of_a_callers_points_without_calling_redis():
    """A bucket holding plenty lends a process a tenth of itself: the caller's next
    queries there spend it without a call (Redis's count does not move); one it cannot
    cover hands it back in the same call; what is left goes back when the lease ends."""
    url = empty_redis_or_skip()
    buckets = CostBuckets(url, lease_s=3600)
    caller = "jobboard:address:192.0.2.1"
    try:
        # 1,000 points refilled by one a second: a lease is 100.
        first = await buckets.take(caller, 4, 1000, 1)
        assert first.taken and points_in_redis(url, caller) == 1000 - 4 - 100
        second = await buckets.take(caller, 4, 1000, 1)
        assert second.taken and points_in_redis(url, caller) == 1000 - 4 - 100
        assert 992 <= second.available <= 994
        third = await buckets.take(caller, 200, 1000, 1)  # the lease holds 96
        # The lease's 96 handed back, 200 taken, a new lease of 100.
        assert third.taken and 692 <= points_in_redis(url, caller) <= 695
    finally:
        await buckets.close()
    assert points_in_redis(url, caller) >= 792  # its lease handed back on closing

    briefly = CostBuckets(url, lease_s=0.05)
    try:
        assert (await briefly.take(caller, 100, 1000, 1)).taken
        assert points_in_redis(url, caller) < 700
        await briefly.all_given_back()  # the lease ended on its own
        assert points_in_redis(url, caller) >= 792 - 100
    finally:
        await briefly.close()


@pytest.mark.needs("redis")
async def test_a_burst_of_one_callers_queries_asks_redis_once_and_shares_its_lease():
    """Twenty queries of one caller at once, no lease held: one call takes its points and
    a lease of a tenth of the bucket, which the others spend without a call."""
    url = empty_redis_or_skip()
    buckets = CostBuckets(url, lease_s=3600)
    caller = "jobboard:address:192.0.2.9"
    try:
        taken = await asyncio.gather(*(buckets.take(caller, 4, 1000, 1) for _ in range(20)))
        assert all(bucket.taken for bucket in taken)
        assert points_in_redis(url, caller) == 1000 - 4 - 100
    finally:
        await buckets.close()
    assert 920 - 1 <= points_in_redis(url, caller) <= 921  # the lease's 24 back


@pytest.mark.needs("redis")
async def test_near_its_limit_a_caller_is_counted_in_redis_by_every_process():
    """No lease is taken from a bucket running low: every take is counted in Redis, so a
    caller is refused at its limit whichever process it asks. A lease one process still
    holds is missing from the others' count (stricter, never looser) until it ends."""
    url = empty_redis_or_skip()
    first, second = CostBuckets(url, lease_s=3600), CostBuckets(url, lease_s=3600)
    caller = "jobboard:address:192.0.2.1"
    try:
        # 1,000 points refilled by one a second: a lease is 100.
        assert (await first.take(caller, 500, 1000, 1)).taken  # and a lease
        assert 400 <= points_in_redis(url, caller) <= 402
        assert (await second.take(caller, 250, 1000, 1)).taken  # no lease: too near
        assert 150 <= points_in_redis(url, caller) <= 153
        refused = await second.take(caller, 200, 1000, 1)
        assert not refused.taken and 150 <= refused.available <= 153
        first.end_leases()
        await first.all_given_back()
        assert (await second.take(caller, 200, 1000, 1)).taken
    finally:
        await first.close()
        await second.close()


async def test_without_redis_a_process_counts_on_its_own(caplog):
    buckets = CostBuckets("redis://127.0.0.1:1/0")
    try:
        assert (await buckets.take("k", 600, 1000, 1)).taken
        assert not (await buckets.take("k", 600, 1000, 1)).taken
        assert buckets.redis.away
        assert "each process counts the cost budgets on its own" in caplog.text
    finally:
        await buckets.close()
