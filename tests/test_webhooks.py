"""Webhooks: a partner's receiver gets every posting event it carries, signed (checked with
a Standard Webhooks library), at least once and once in effect; failures are retried with
growing pauses, then given up; no payload names a person; nothing reaches a private
network outside development."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook

from jobgraph.errors import BadUserInput
from jobgraph.graphql.hooks import webhook_hooks
from jobgraph.jobs.postings import announce_expired
from jobgraph.webhooks.delivery import BACKOFF, LEASE, _claim, _public_address, deliver_due, pinned
from jobgraph.webhooks.service import check_url
from tests.conftest import TEST_SETTINGS, error_code
from tests.support.accounts import admin_token
from tests.support.disclosure import seeker_token
from tests.support.employers import employer_of

CREATE = """mutation($url: String!, $events: [WebhookEvent!]!, $company: ID) {
  createWebhookEndpoint(url: $url, events: $events, companyId: $company) {
    secret endpoint { id url events companyId } } }"""
DELIVERIES = """query($id: ID!) { webhookDeliveries(endpointId: $id) {
  id event status attempts lastStatusCode nextAttemptAt payload } }"""
POSTING_EVENTS = ["POSTING_PUBLISHED", "POSTING_UPDATED", "POSTING_CLOSED"]


class Receiver:
    """An endpoint on this machine: answers with the statuses it is given, in turn (then
    200), and keeps what it received."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append((dict(self.headers.items()), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def events(self, secret: str) -> list[dict]:
        """What arrived, each verified as a Standard Webhooks message."""
        return [Webhook(secret).verify(body, headers) for headers, body in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


async def deliver(api, now: datetime | None = None):
    services = api.app.state.services
    return await deliver_due(
        services.sessions,
        await services.registry.current(),
        TEST_SETTINGS.secret_key,
        allow_private=True,
        hooks=webhook_hooks(),
        now=now,
    )


async def site_endpoint(api, tenant: str, url: str, events=POSTING_EVENTS) -> dict:
    token = await admin_token(api, tenant)
    created = await api.data(CREATE, {"url": url, "events": events}, tenant=tenant, token=token)
    return created["createWebhookEndpoint"] | {"token": token}


async def test_a_partner_receives_every_posting_event_it_carries_signed(api, receiver):
    endpoint = await site_endpoint(api, "kansai-jobs", receiver.url)
    assert endpoint["secret"].startswith("whsec_")
    employer = await employer_of(api, "jobboard")
    carried = await employer.post(title="Osaka baker", prefecture="Osaka")  # in its feed
    await employer.post(title="Fukuoka baker", prefecture="Fukuoka")  # not in its feed
    await api.data(
        'mutation($id: ID!) { updateJob(id: $id, patch: {title: "Osaka bread baker"}) { id } }',
        {"id": carried},
        tenant="jobboard",
        token=employer.token,
    )
    await api.data(
        "mutation($id: ID!) { closeJob(id: $id) { id } }",
        {"id": carried},
        tenant="jobboard",
        token=employer.token,
    )
    report = await deliver(api)
    assert (report.delivered, report.retrying, report.failed) == (3, 0, 0)
    events = receiver.events(endpoint["secret"])
    assert [event["type"] for event in events] == [
        "posting.published",
        "posting.updated",
        "posting.closed",
    ]
    for event in events:
        assert set(event) == {"type", "timestamp", "data"}
        assert event["data"] == {
            "site": "jobboard",
            "postingId": carried,
            "companyId": employer.company_id,
            "status": event["data"]["status"],
            "expiresAt": event["data"]["expiresAt"],
        }
    headers = [headers for headers, _ in receiver.received]
    assert len({h["webhook-id"] for h in headers}) == 3
    # Delivered: nothing more to send.
    assert (await deliver(api)).delivered == 0
    log = await api.data(
        DELIVERIES,
        {"id": endpoint["endpoint"]["id"]},
        tenant="kansai-jobs",
        token=endpoint["token"],
    )
    assert {(d["status"], d["lastStatusCode"]) for d in log["webhookDeliveries"]} == {
        ("DELIVERED", 200)
    }


async def test_a_posting_that_expires_is_announced_once_per_expiry(api, receiver):
    endpoint = await site_endpoint(api, "jobboard", receiver.url, ["POSTING_EXPIRED"])
    employer = await employer_of(api, "jobboard")
    expiring = await employer.post(title="Expiring baker")
    services = api.app.state.services
    registry = await services.registry.current()
    later = datetime.now(UTC) + timedelta(days=400)  # past every posting's expiry

    assert await announce_expired(services.sessions, registry, later) >= 1
    assert await announce_expired(services.sessions, registry, later) == 0  # once
    while (await deliver(api)).delivered:  # the demo's postings expire too, in batches
        pass
    expired = [
        event["data"]["postingId"]
        for event in receiver.events(endpoint["secret"])
        if event["type"] == "posting.expired"
    ]
    assert expired.count(expiring) == 1
    # Published again, it has a new expiry, announced again when that one comes.
    await api.data(
        "mutation($id: ID!) { updateJob(id: $id, patch: {expiresAt: $at}) { id } }".replace(
            "$at", f'"{(datetime.now(UTC) + timedelta(days=1)).isoformat()}"'
        ),
        {"id": expiring},
        tenant="jobboard",
        token=employer.token,
    )
    assert await announce_expired(services.sessions, registry, later) == 1


async def test_a_failing_receiver_is_retried_later_with_the_same_id(api, receiver):
    endpoint = await site_endpoint(api, "jobboard", receiver.url)
    receiver.statuses = [500]
    employer = await employer_of(api, "jobboard")
    await employer.post(title="Retried baker")
    now = datetime.now(UTC)
    assert (await deliver(api, now)).retrying == 1
    log = await api.data(
        DELIVERIES, {"id": endpoint["endpoint"]["id"]}, tenant="jobboard", token=endpoint["token"]
    )
    (first,) = log["webhookDeliveries"]
    assert (first["status"], first["attempts"], first["lastStatusCode"]) == ("PENDING", 1, 500)
    assert datetime.fromisoformat(first["nextAttemptAt"]) == now + BACKOFF[0]
    assert (await deliver(api, now)).delivered == 0  # not yet due
    assert (await deliver(api, now + BACKOFF[0])).delivered == 1
    ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert ids == [first["id"], first["id"]]


async def test_after_a_day_a_delivery_is_given_up_and_the_admins_are_told(
    api, receiver, database_server, database
):
    from tests.conftest import database_name

    endpoint = await site_endpoint(api, "jobboard", receiver.url)
    receiver.statuses = [500] * 3
    employer = await employer_of(api, "jobboard")
    await employer.post(title="Never delivered")
    now = datetime.now(UTC)
    assert (await deliver(api, now)).retrying == 1
    report = await deliver(api, now + timedelta(days=1, minutes=1))
    assert (report.failed, report.delivered) == (1, 0)
    listed = await api.data(
        "{ webhookEndpoints { id failingSince } }", tenant="jobboard", token=endpoint["token"]
    )
    assert listed["webhookEndpoints"][0]["failingSince"] is not None
    told = await database_server.fetch(
        "SELECT recipient FROM notifications WHERE kind = 'WEBHOOK_FAILING'",
        database_name(database),
    )
    assert {row["recipient"] for row in told} == {"admin@jobboard.test"}
    # Sent again on request, with the same id; a success clears the failing mark.
    log = await api.data(
        DELIVERIES, {"id": endpoint["endpoint"]["id"]}, tenant="jobboard", token=endpoint["token"]
    )
    (failed,) = log["webhookDeliveries"]
    assert failed["status"] == "FAILED"
    await api.data(
        "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { status } }",
        {"id": failed["id"]},
        tenant="jobboard",
        token=endpoint["token"],
    )
    receiver.statuses = []
    assert (await deliver(api)).delivered == 1
    listed = await api.data(
        "{ webhookEndpoints { failingSince } }", tenant="jobboard", token=endpoint["token"]
    )
    assert listed["webhookEndpoints"][0]["failingSince"] is None


async def test_two_deliverers_never_send_one_twice(api, receiver):
    endpoint = await site_endpoint(api, "jobboard", receiver.url)
    employer = await employer_of(api, "jobboard")
    for number in range(6):
        await employer.post(title=f"Concurrent baker {number}")
    reports = await asyncio.gather(deliver(api), deliver(api))
    assert sum(report.delivered for report in reports) == 6
    ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert len(ids) == len(set(ids)) == 6
    assert receiver.events(endpoint["secret"])


async def test_a_company_hears_of_applications_and_nothing_of_the_seeker(api, receiver):
    employer = await employer_of(api, "jobboard")
    created = await api.data(
        CREATE,
        {
            "url": receiver.url,
            "events": ["APPLICATION_RECEIVED", "APPLICATION_WITHDRAWN"],
            "company": employer.company_id,
        },
        tenant="jobboard",
        token=employer.token,
    )
    secret = created["createWebhookEndpoint"]["secret"]
    job_id = await employer.post(title="Applied baker")
    seeker = await seeker_token(api, 3, "jobboard")
    applied = await api.data(
        "mutation($j: ID!) { applyToJob(jobId: $j) { id } }",
        {"j": job_id},
        tenant="jobboard",
        token=seeker,
    )
    application_id = applied["applyToJob"]["id"]
    await api.data(
        "mutation($id: ID!) { withdrawApplication(id: $id) { id } }",
        {"id": application_id},
        tenant="jobboard",
        token=seeker,
    )
    assert (await deliver(api)).delivered == 2
    events = receiver.events(secret)
    assert [event["type"] for event in events] == [
        "application.received",
        "application.withdrawn",
    ]
    assert events[0]["data"] == {
        "site": "jobboard",
        "applicationId": application_id,
        "postingId": job_id,
        "companyId": employer.company_id,
        "status": "SUBMITTED",
    }
    raw = b"".join(body for _, body in receiver.received).decode()
    assert "seeker3" not in raw and "@" not in raw


async def test_a_company_endpoint_gets_what_the_site_allows_of_an_applicant_recorded(
    api, receiver, reconfigure
):
    # The community site lets its employers' webhooks carry these; of them, what it
    # discloses on application at all (not the phone) is what an endpoint receives.
    allowed = ["FULL_NAME", "EMAIL", "SKILLS", "PHONE"]
    await reconfigure({"community": {"policy": {"webhook_applicant_fields": allowed}}})
    employer = await employer_of(api, "community")
    created = await api.data(
        CREATE,
        {"url": receiver.url, "events": ["APPLICATION_RECEIVED"], "company": employer.company_id},
        tenant="community",
        token=employer.token,
    )
    endpoint = created["createWebhookEndpoint"]
    job_id = await employer.post(title="Community baker")
    seeker = await seeker_token(api, 1, "community")
    applied = await api.data(
        "mutation($j: ID!) { applyToJob(jobId: $j) { id } }",
        {"j": job_id},
        tenant="community",
        token=seeker,
    )
    assert (await deliver(api)).delivered == 1
    (event,) = receiver.events(endpoint["secret"])
    applicant = event["data"]["applicant"]
    assert set(applicant) == {"fullName", "email", "skills", "withheldFields"}
    assert "PHONE" in applicant["withheldFields"] and "FULL_NAME" not in applicant["withheldFields"]
    # The same values a query shows the employer.
    asked = await api.data(
        "query($j: ID!) { applicants(jobId: $j) { candidate { fullName email skills } } }",
        {"j": job_id},
        tenant="community",
        token=employer.token,
    )
    assert asked["applicants"][0]["candidate"] == {
        key: applicant[key] for key in ("fullName", "email", "skills")
    }
    # Recorded as disclosed to the endpoint (and, separately, to the employer who asked).
    records = await api.data(
        "{ myDisclosures { recipient fields reason } }", tenant="community", token=seeker
    )
    assert {
        "recipient": f"webhook of {employer.company_name}",  # in words, never an id
        "fields": ["EMAIL", "FULL_NAME"],
        "reason": "APPLICATION",
    } in records["myDisclosures"]
    # Withdrawn, the application shows nothing more, even in a delivery sent again.
    await api.data(
        "mutation($id: ID!) { withdrawApplication(id: $id) { id } }",
        {"id": applied["applyToJob"]["id"]},
        tenant="community",
        token=seeker,
    )
    log = await api.data(
        DELIVERIES, {"id": endpoint["endpoint"]["id"]}, tenant="community", token=employer.token
    )
    await api.data(
        "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { status } }",
        {"id": log["webhookDeliveries"][0]["id"]},
        tenant="community",
        token=employer.token,
    )
    assert (await deliver(api)).delivered == 1
    assert "applicant" not in receiver.events(endpoint["secret"])[1]["data"]


async def test_an_application_on_the_partner_site_sends_the_partners_share(
    api, receiver, reconfigure
):
    # The partner lets webhooks carry more than it discloses on application at all (as its
    # main site allows them to): the main site's company endpoint gets only what the
    # partner discloses.
    await reconfigure(
        {
            "jobboard": {
                "policy": {"webhook_applicant_fields": ["FULL_NAME", "EMAIL", "PHONE", "SKILLS"]}
            },
            "kansai-jobs": {
                "policy": {
                    "application_disclosed_fields": ["FULL_NAME", "EMAIL", "LANGUAGES"],
                    "webhook_applicant_fields": ["FULL_NAME", "EMAIL", "PHONE", "SKILLS"],
                }
            },
        }
    )
    employer = await employer_of(api, "jobboard")
    created = await api.data(
        CREATE,
        {"url": receiver.url, "events": ["APPLICATION_RECEIVED"], "company": employer.company_id},
        tenant="jobboard",
        token=employer.token,
    )
    endpoint = created["createWebhookEndpoint"]
    job_id = await employer.post(title="Osaka hook", prefecture="Osaka")  # on both sites
    seeker = (await api.sign_in("seeker6@jobboard.test", "kansai-jobs"))["accessToken"]
    await api.data(
        "mutation($j: ID!) { applyToJob(jobId: $j) { id } }",
        {"j": job_id},
        tenant="kansai-jobs",
        token=seeker,
    )
    assert (await deliver(api)).delivered == 1
    (event,) = receiver.events(endpoint["secret"])
    assert set(event["data"]["applicant"]) == {"fullName", "email", "withheldFields"}
    records = await api.data("{ myDisclosures { fields } }", tenant="kansai-jobs", token=seeker)
    assert records["myDisclosures"] == [{"fields": ["EMAIL", "FULL_NAME"]}]


# Every field a webhook may carry, as the API's Resume type names and shows it.
WEBHOOK_SELECTION = """fullName birthDate gender nationality residenceCountry residenceRegion
  nearestStation phone visaStatus email languages { language level } careerLevel skills
  hobbies desiredCategories desiredLocations"""


async def test_every_field_a_webhook_may_carry_is_shown_as_the_api_shows_it(
    api, receiver, reconfigure
):
    from jobgraph.policy.fields import WEBHOOK_FIELDS

    fields = sorted(str(resume_field) for resume_field in WEBHOOK_FIELDS)
    await reconfigure({"jobboard": {"policy": {"webhook_applicant_fields": fields}}})
    employer = await employer_of(api, "jobboard")
    created = await api.data(
        CREATE,
        {"url": receiver.url, "events": ["APPLICATION_RECEIVED"], "company": employer.company_id},
        tenant="jobboard",
        token=employer.token,
    )
    job_id = await employer.post(title="Every field hook")
    seeker = await seeker_token(api, 2, "jobboard")
    await api.data(
        "mutation($j: ID!) { applyToJob(jobId: $j) { id } }",
        {"j": job_id},
        tenant="jobboard",
        token=seeker,
    )
    assert (await deliver(api)).delivered == 1
    (event,) = receiver.events(created["createWebhookEndpoint"]["secret"])
    applicant = event["data"]["applicant"]
    asked = await api.data(
        "query($j: ID!) { applicants(jobId: $j) { candidate { " + WEBHOOK_SELECTION + " } } }",
        {"j": job_id},
        tenant="jobboard",
        token=employer.token,
    )
    candidate = asked["applicants"][0]["candidate"]
    assert {key: value for key, value in applicant.items() if key != "withheldFields"} == (
        candidate
    )
    assert sorted(applicant["withheldFields"]) == ["EDUCATION", "LAST_EMPLOYER", "WORK_HISTORY"]


def test_webhooks_never_carry_the_structured_history():
    from pydantic import ValidationError

    from jobgraph.policy.config import Policy

    with pytest.raises(ValidationError, match="work and education history"):
        Policy(webhook_applicant_fields=["WORK_HISTORY"])


async def test_only_admins_and_company_owners_register_endpoints(api, receiver):
    seeker = await seeker_token(api, 1, "jobboard")
    site = await api.graphql(
        CREATE, {"url": receiver.url, "events": POSTING_EVENTS}, tenant="jobboard", token=seeker
    )
    assert error_code(site) == "FORBIDDEN"
    employer = await employer_of(api, "jobboard")
    other_company = await api.graphql(
        CREATE,
        {"url": receiver.url, "events": ["APPLICATION_RECEIVED"], "company": employer.company_id},
        tenant="jobboard",
        token=seeker,
    )
    assert error_code(other_company) == "FORBIDDEN"
    wrong_events = await site_endpoint_errors(api, receiver.url, ["APPLICATION_RECEIVED"])
    assert error_code(wrong_events) == "BAD_USER_INPUT"


async def site_endpoint_errors(api, url: str, events: list[str]) -> dict:
    token = await admin_token(api, "jobboard")
    return await api.graphql(CREATE, {"url": url, "events": events}, tenant="jobboard", token=token)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hooks",  # not https
        "https://127.0.0.1/hooks",
        "https://10.1.2.3/hooks",
        "https://169.254.169.254/latest/meta-data",  # a cloud's metadata service
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",  # IPv4 inside IPv6 forms: the inside counts
        "https://[::127.0.0.1]/hooks",
        "https://[64:ff9b::7f00:1]/hooks",  # NAT64
        "https://[2002:7f00:1::]/hooks",  # 6to4
        "https://[2002:a01:203::]/hooks",
        "https://localhost/hooks",
        "https://user:pass@example.com/hooks",
    ],
)
def test_no_endpoint_reaches_a_private_network(url):
    with pytest.raises(BadUserInput) as refused:
        check_url(url, allow_private=False)
    if "credentials" not in str(refused.value):  # the rest may be a developer's own machine
        assert "JOBGRAPH_WEBHOOKS_ALLOW_PRIVATE=true" in str(refused.value)


async def test_a_name_that_points_into_a_private_network_is_not_sent_to():
    refused, address = await _public_address("https://localhost/hooks")
    assert "non-public" in (refused or "") and address is None
    assert await _public_address("https://8.8.8.8/hooks") == (None, "8.8.8.8")


def test_a_delivery_goes_to_the_address_that_was_checked_under_the_endpoints_name():
    # The name is not looked up again when connecting (DNS rebinding): the request goes to
    # the checked address, with the name as Host and as the TLS server name.
    assert pinned("https://hooks.example.com:8443/in?x=1", "93.184.216.34") == (
        "https://93.184.216.34:8443/in?x=1",
        "hooks.example.com:8443",
        {"sni_hostname": "hooks.example.com"},
    )
    url, host, _ = pinned("https://hooks.example.com/in", "2606:2800:220:1::1")
    assert url == "https://[2606:2800:220:1::1]/in" and host == "hooks.example.com"


async def test_one_deliverer_at_a_time_sends_to_an_endpoint_whichever_process(api, receiver):
    first = await site_endpoint(api, "jobboard", receiver.url)
    employer = await employer_of(api, "jobboard")
    await employer.post(title="Claimed by one")
    services = api.app.state.services
    registry = await services.registry.current()
    sessions, pool = services.sessions, registry.get("jobboard").pool_id
    claiming = (registry, webhook_hooks(), LEASE)
    now = datetime.now(UTC)
    claimed = await _claim(sessions, pool, TEST_SETTINGS.secret_key, now, *claiming)
    assert {str(delivery.endpoint_id) for delivery in claimed} == {first["endpoint"]["id"]}
    # While that deliverer holds its lease, another (here, or in another process) takes
    # nothing more of the endpoint's, not even its new deliveries; another endpoint's, yes.
    second = await site_endpoint(api, "jobboard", receiver.url)
    await employer.post(title="After the claim")
    claimed = await _claim(sessions, pool, TEST_SETTINGS.secret_key, datetime.now(UTC), *claiming)
    assert {str(delivery.endpoint_id) for delivery in claimed} == {second["endpoint"]["id"]}
    # Deliverers that died with their leases: once the leases end, all goes again.
    later = await _claim(sessions, pool, TEST_SETTINGS.secret_key, now + LEASE * 2, *claiming)
    assert {str(delivery.endpoint_id) for delivery in later} == {
        first["endpoint"]["id"],
        second["endpoint"]["id"],
    }
    assert len(later) == 3  # the first endpoint's two postings, the second's one


def test_public_endpoints_are_accepted():
    assert check_url("https://hooks.example.com/jobgraph", allow_private=False)
    assert json.dumps(check_url("http://127.0.0.1:9/hooks", allow_private=True))


async def test_a_round_with_nothing_due_makes_no_https_client(api, monkeypatch):
    """Every serving process runs a round every few seconds: with nothing due it costs the
    claim's statements, not a TLS context (tens of milliseconds of CPU each)."""
    import httpx

    from jobgraph.webhooks import delivery

    made = []

    class Counted(httpx.AsyncClient):
        def __init__(self, *args, **kwargs):
            made.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(delivery.httpx, "AsyncClient", Counted)
    report = await deliver(api)
    assert (report.delivered, made) == (0, [])
