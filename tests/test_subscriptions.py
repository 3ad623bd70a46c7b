"""Subscriptions over a real WebSocket (graphql-transport-ws): an employer sees a new
applicant arrive as `applicants` would show it, a seeker sees an application move; every
payload passes the same policy and the same disclosure record as a query; the site is
the host's; only signed-in accounts connect, within the site's limits; events cross
processes through PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from jobgraph import live as live_events
from jobgraph.app import create_app
from jobgraph.demo import DEMO_PASSWORD
from jobgraph.live import ConnectionSlots
from tests.conftest import TEST_SETTINGS
from tests.support.browser import listening
from tests.support.disclosure import EXPECTED, FIELDS, NARROW, check, seeker_token
from tests.support.employers import employer_of
from tests.support.live import LiveClient, live
from tests.support.partners import client as partner_client
from tests.support.partners import client_token
from tests.support.servers import (
    REDIS,
    ServerOutput,
    empty_redis_or_skip,
    free_port,
    metric,
    start_server,
    wait_until_healthy,
)

RECEIVED = (
    "subscription($j: ID) { applicationReceived(jobId: $j) { id status site candidate { "
    + FIELDS
    + " } } }"
)
CHANGED = "subscription($j: ID) { applicationChanged(jobId: $j) { id status } }"
MINE = "subscription { myApplicationChanged { id status } }"
APPLY = "mutation($j: ID!) { applyToJob(jobId: $j) { id } }"
MOVE = "mutation($id: ID!, $s: ApplicationStatus!) { moveApplication(id: $id, status: $s) { id } }"
APPLICANTS = (
    "query($j: ID!) { applicants(jobId: $j) { id status site candidate { " + FIELDS + " } } }"
)
DISCLOSURES = "{ myDisclosures { recipient reason fields } }"


@pytest.fixture
async def served(database) -> AsyncIterator[tuple[object, int]]:
    """The app on a real socket (a WebSocket needs one), and its port."""
    app = create_app(TEST_SETTINGS, database)
    async with listening(database, app) as port:
        yield app, port


async def subscribed(app, client: LiveClient, id: str, query: str, variables=None) -> None:
    """Subscribe, and return once the service waits for the subscription's events."""
    live_events = app.state.services.live
    before = live_events.subscriptions
    await client.subscribe(id, query, variables)
    await asyncio.wait_for(live_events.until_subscriptions(before + 1), 15)


@pytest.mark.parametrize("tenant", ["jobboard", "community"])
async def test_an_employer_sees_a_new_applicant_as_applicants_shows_it_and_it_is_recorded(
    api, served, tenant
):
    app, port = served
    employer = await employer_of(api, tenant)
    job_id = await employer.post(title="Live job")
    seeker = await seeker_token(api, 1, tenant)
    async with live(port, employer.token, tenant) as client:
        await subscribed(app, client, "new", RECEIVED, {"j": job_id})
        applied = await api.data(APPLY, {"j": job_id}, tenant=tenant, token=seeker)
        message = await client.receive()
    assert message["type"] == "next" and message["id"] == "new", message
    shown = message["payload"]["data"]["applicationReceived"]
    assert shown["id"] == applied["applyToJob"]["id"] and shown["status"] == "SUBMITTED"
    # Exactly what the site discloses on application, and what a query shows.
    check(shown["candidate"], EXPECTED[(tenant, "application")])
    asked = await api.data(APPLICANTS, {"j": job_id}, tenant=tenant, token=employer.token)
    assert asked["applicants"] == [shown]
    # Recorded twice: the live payload and the query, each as what it showed.
    records = (await api.data(DISCLOSURES, tenant=tenant, token=seeker))["myDisclosures"]
    assert len(records) == 2 and records[0] == records[1], records
    assert records[0]["reason"] == "APPLICATION"
    site = (await api.data("{ tenant { branding { siteName } } }", tenant=tenant))["tenant"]
    assert records[0]["recipient"] == f"{employer.company_name} on {site['branding']['siteName']}"


async def test_a_live_applicant_shows_what_the_site_applied_on_allows_as_of_now(api, served):
    # The main site's employer hears of an application made on the partner site, whose
    # policy narrows while the connection is open: the event shows the narrower share.
    app, port = served
    employer = await employer_of(api, "jobboard")
    job_id = await employer.post(title="Osaka live", prefecture="Osaka")  # on both sites
    seeker = (await api.sign_in("seeker5@jobboard.test", "kansai-jobs"))["accessToken"]
    async with live(port, employer.token, "jobboard") as client:
        await subscribed(app, client, "new", RECEIVED, {"j": job_id})
        operator = await api.operator_token()
        await api.data(NARROW, {"s": "kansai-jobs"}, tenant="jobboard", token=operator)
        await api.data(APPLY, {"j": job_id}, tenant="kansai-jobs", token=seeker)
        message = await client.receive()
    shown = message["payload"]["data"]["applicationReceived"]
    assert shown["site"] == "kansai-jobs"
    check(shown["candidate"], {"FULL_NAME", "EMAIL", "LANGUAGES"})
    records = (await api.data(DISCLOSURES, tenant="kansai-jobs", token=seeker))["myDisclosures"]
    assert [record["fields"] for record in records] == [["EMAIL", "FULL_NAME"]]


async def test_a_seeker_hears_only_their_own_applications_move(api, served):
    app, port = served
    employer = await employer_of(api, "jobboard")
    job_id = await employer.post(title="Moving job")
    first, second = [await seeker_token(api, n, "jobboard") for n in (1, 2)]
    applications = []
    for token in (first, second):
        applied = await api.data(APPLY, {"j": job_id}, tenant="jobboard", token=token)
        applications.append(applied["applyToJob"]["id"])
    async with live(port, second) as client:
        await subscribed(app, client, "mine", MINE)
        # The first seeker's application moves first; the second's own is what arrives.
        for application in applications:
            await api.data(
                MOVE, {"id": application, "s": "REVIEWING"}, tenant="jobboard",
                token=employer.token,
            )  # fmt: skip
        message = await client.receive()
    assert message["payload"]["data"]["myApplicationChanged"] == {
        "id": applications[1],
        "status": "REVIEWING",
    }


async def test_an_employer_hears_only_its_own_postings(api, served):
    app, port = served
    ours = await employer_of(api, "jobboard")
    theirs = await employer_of(api, "kansai-jobs")  # the partner's employer, another company
    assert theirs.company_id != ours.company_id
    other_job = await theirs.post(title="Their job")
    our_job = await ours.post(title="Our job")
    seeker = await seeker_token(api, 1, "jobboard")
    async with live(port, ours.token) as client:
        # Another company's posting is not found, as `applicants` says.
        await client.subscribe("theirs", CHANGED, {"j": other_job})
        refused = await client.receive()
        assert refused["id"] == "theirs" and refused["payload"]["data"] is None
        assert refused["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert await client.receive() == {"id": "theirs", "type": "complete"}
        await subscribed(app, client, "all", RECEIVED)
        on_partner = (await api.sign_in("seeker1@jobboard.test", "kansai-jobs"))["accessToken"]
        await api.data(APPLY, {"j": other_job}, tenant="kansai-jobs", token=on_partner)
        await api.data(APPLY, {"j": our_job}, tenant="jobboard", token=seeker)
        message = await client.receive()
        # Waiting for the next event holds no connection, the other company's included.
        assert app.state.services.engine.pool.checkedout() == 0
    assert message["payload"]["data"]["applicationReceived"]["site"] == "jobboard"


async def test_a_signed_out_session_hears_no_more(api, served):
    app, port = served
    employer = await employer_of(api, "jobboard")
    job_id = await employer.post(title="Signed out")
    seeker = await seeker_token(api, 1, "jobboard")
    async with live(port, employer.token) as client:
        await subscribed(app, client, "new", RECEIVED, {"j": job_id})
        await api.data("mutation { logout }", tenant="jobboard", token=employer.token)
        await api.data(APPLY, {"j": job_id}, tenant="jobboard", token=seeker)
        message = await client.receive()
    assert message["type"] == "next"
    assert message["payload"]["data"] is None
    assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_site_is_the_hosts_and_other_origins_are_refused(api, served):
    app, port = served
    employer = await employer_of(api, "kansai-jobs")
    job_id = await employer.post(title="Partner job")
    async with live(port, employer.token, host="kansai.jobboard.localhost") as client:
        # A posting of the partner's is found: this connection is the partner site's.
        await subscribed(app, client, "new", CHANGED, {"j": job_id})
    with pytest.raises(InvalidStatus) as unknown:
        async with live(port, host="nowhere.localhost"):
            pass
    assert unknown.value.response.status_code == 404
    assert b"TENANT_UNKNOWN" in unknown.value.response.body
    with pytest.raises(InvalidStatus) as foreign:
        async with live(port, origin="https://elsewhere.example"):
            pass
    assert foreign.value.response.status_code == 403


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({}, "Sign in"),
        ({"authorization": "Bearer not-a-token"}, "token"),
    ],
)
async def test_only_a_signed_in_account_connects(served, payload, reason):
    _, port = served
    async with live(port) as client:
        await client.send({"type": "connection_init", "payload": payload})
        code, said = await client.closed()
    assert code == 4401 and reason in said


async def test_a_partner_client_token_does_not_connect(api, served):
    _, port = served
    _, client_id, secret = await partner_client(api, ["JOBS_READ"], "kansai-jobs")
    issued = await client_token(api, client_id, secret, "kansai-jobs")
    authorization = {"authorization": f"Bearer {issued.json()['access_token']}"}
    async with live(port, tenant="kansai-jobs") as client:
        await client.send({"type": "connection_init", "payload": authorization})
        code, said = await client.closed()
    assert code == 4403 and "signed-in accounts" in said


async def test_connections_and_subscriptions_are_limited_and_queries_go_over_http(api, served):
    app, port = served
    employer = await employer_of(api, "jobboard")
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(live(port, employer.token)) for _ in range(5)]
        async with live(port) as sixth:
            authorization = {"authorization": f"Bearer {employer.token}"}
            await sixth.send({"type": "connection_init", "payload": authorization})
            code, said = await sixth.closed()
        assert code == 4429 and "5 live connections" in said
        client = clients[0]
        for number in range(10):
            await subscribed(app, client, f"s{number}", CHANGED)
        await client.subscribe("eleventh", CHANGED)
        refused = await client.receive()
        assert refused["type"] == "error" and refused["id"] == "eleventh"
        assert refused["payload"][0]["extensions"]["code"] == "RATE_LIMITED"
        await clients[1].subscribe("query", "{ tenant { slug } }")
        over_ws = await clients[1].receive()
        assert over_ws["type"] == "error"
        assert over_ws["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "HTTP POST" in over_ws["payload"][0]["message"]
    # Once closed, they count no more.
    assert app.state.services.live.slots.held == 0


async def test_a_subscription_sent_over_http_is_told_where_to_go(api):
    employer = await employer_of(api, "jobboard")
    body = await api.graphql(CHANGED, tenant="jobboard", token=employer.token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "WebSocket" in body["errors"][0]["message"]


def test_an_event_raised_in_one_process_reaches_a_subscriber_of_another(database):
    """Two `jobgraph serve` processes on one database: the employer listens on one, the
    seeker applies through the other."""
    token = "metrics-" + uuid.uuid4().hex
    ports = [free_port(), free_port()]
    servers = [
        start_server(
            port,
            "--no-sync-tenants",
            DATABASE_URL=database.admin,
            JOBGRAPH_METRICS_TOKEN=token,
        )
        for port in ports
    ]
    outputs = [ServerOutput(server) for server in servers]  # drained, so none blocks
    try:
        for port, server in zip(ports, servers, strict=True):
            wait_until_healthy(port, server)
        asyncio.run(_across(ports, token))
    finally:
        for server in servers:
            server.terminate()
        for server, output in zip(servers, outputs, strict=True):
            code = server.wait(30)
            written = output.whole()
            server.stdout.close()
            assert code == 0, written


async def _across(ports: list[int], metrics_token: str) -> None:
    listening_port, acting_port = ports
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{acting_port}", timeout=30) as http:

        async def data(query: str, variables: dict | None = None, token: str | None = None):
            headers = {"X-Tenant": "jobboard"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            response = await http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            body = response.json()
            assert "errors" not in body, body
            return body["data"]

        login = (
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
        )
        employer, seeker = [
            (await data(login, {"e": f"{who}@jobboard.test", "p": DEMO_PASSWORD}))["login"][
                "accessToken"
            ]
            for who in ("employer", "seeker1")
        ]
        jobs = await data("{ employerJobs(first: 1) { edges { node { id } } } }", token=employer)
        job_id = jobs["employerJobs"]["edges"][0]["node"]["id"]
        async with live(listening_port, employer) as client:
            await client.subscribe("new", RECEIVED, {"j": job_id})
            await _until_subscribed(listening_port, metrics_token)
            applied = await data(APPLY, {"j": job_id}, token=seeker)
            message = await client.receive()
    assert message["payload"]["data"]["applicationReceived"]["id"] == applied["applyToJob"]["id"]


async def _until_subscribed(port: int, metrics_token: str) -> None:
    """Until the other process says (in its metrics) that the subscription waits for
    events: another process cannot be awaited otherwise."""
    for _ in range(300):
        if await asyncio.to_thread(metric, port, "jobgraph_live_subscriptions", metrics_token):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the subscription never waited for events")


@pytest.mark.needs("redis")
async def test_events_travel_through_redis_where_configured(api, database):
    """With JOBGRAPH_LIVE_EVENTS=redis (where no process can LISTEN), an event published by
    one app once its transaction commits reaches a subscriber of another."""
    empty_redis_or_skip()
    settings = TEST_SETTINGS.model_copy(update={"redis_url": REDIS, "live_events": "redis"})
    employer = await employer_of(api, "jobboard")
    job_id = await employer.post(title="Through Redis")
    seeker = await seeker_token(api, 1, "jobboard")
    hearing, acting = create_app(settings, database), create_app(settings, database)
    async with (
        listening(database, hearing, settings) as port,
        listening(database, acting, settings) as acting_port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{acting_port}") as http,
    ):
        await asyncio.wait_for(hearing.state.services.live.relay.until_listening(), 15)
        async with live(port, employer.token) as client:
            await subscribed(hearing, client, "new", RECEIVED, {"j": job_id})
            response = await http.post(
                "/graphql",
                json={"query": APPLY, "variables": {"j": job_id}},
                headers={"X-Tenant": "jobboard", "Authorization": f"Bearer {seeker}"},
            )
            applied = response.json()["data"]["applyToJob"]
            message = await client.receive()
    assert message["payload"]["data"]["applicationReceived"]["id"] == applied["id"]


def test_redis_events_need_a_redis_url():
    from pydantic import ValidationError

    from jobgraph.settings import Settings

    with pytest.raises(ValidationError, match="needs JOBGRAPH_REDIS_URL"):
        Settings(live_events="redis", redis_url=None)


@pytest.mark.needs("redis")
async def test_an_accounts_live_connections_are_counted_across_processes(monkeypatch):
    """Two processes' counts (each its own ConnectionSlots) on one Redis: the limit holds
    whichever takes the connections; a slot given back is free at once, and one whose
    process died (never given back) is free once it expires."""
    url = empty_redis_or_skip()
    first, second = ConnectionSlots(url), ConnectionSlots(url)
    try:
        taken = [
            await process.take("jobboard", "ann", 5)
            for process in (first, second, first, second, first)
        ]
        assert None not in taken
        assert await first.take("jobboard", "ann", 5) is None
        assert await second.take("jobboard", "ann", 5) is None
        assert await second.take("jobboard", "bob", 5) is not None, "each account its own"
        await first.give_back(taken[0])
        assert await second.take("jobboard", "ann", 5) is not None
        assert await first.take("jobboard", "ann", 5) is None
        # The second process's last renewal makes its slots due in a second; then it dies
        # holding them. Their expiry is a time, not an event: wait for it with a deadline
        # far beyond it (a busy machine), asking as a process would.
        monkeypatch.setattr(live_events, "SLOT_TTL_S", 1)
        await second.renew()
        deadline = asyncio.get_running_loop().time() + 30
        while await first.take("jobboard", "ann", 5) is None:
            assert asyncio.get_running_loop().time() < deadline, "the dead slots never expired"
            await asyncio.sleep(0.1)
    finally:
        await first.close()
        await second.close()
