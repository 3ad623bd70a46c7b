"""Job alerts: a digest of new matches per seeker, only with consent, never twice, through a
sender that retries what failed."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import select

from jobgraph.cli import main
from jobgraph.db.engine import bind_pool
from jobgraph.jobs.alerts import run_alerts
from jobgraph.notifications.models import Notification
from jobgraph.notifications.outbox import MAX_ATTEMPTS, deliver
from jobgraph.notifications.senders import FileSender
from jobgraph.settings import get_settings

SAVE = """mutation($filter: JobFilterInput) {
  saveSearch(name: "Tokyo python", search: "python", filter: $filter, frequency: DAILY) { id } }"""
CONSENT = """mutation($granted: Boolean!) {
  setConsent(purpose: JOB_ALERT_MAIL, granted: $granted) { granted wordingVersion } }"""


async def seeker_with_search(api, email, consent: bool) -> str:
    token = (await api.sign_in(email, "jobboard"))["accessToken"]
    if consent:
        await api.data(CONSENT, {"granted": True}, tenant="jobboard", token=token)
    await api.data(SAVE, {"filter": {"prefecture": "Tokyo"}}, tenant="jobboard", token=token)
    return token


async def outbox(api) -> list[Notification]:
    async with api.app.state.services.sessions() as session:
        bind_pool(session, "jobboard")
        return list(
            (await session.scalars(select(Notification).order_by(Notification.created_at))).all()
        )


async def run(api, now):
    services = api.app.state.services
    return await run_alerts(services.sessions, await services.registry.current(), now=now)


class FlakySender:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[str] = []

    async def send(self, mail) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("SMTP server unreachable")
        self.sent.append(mail.id)


async def test_a_digest_goes_only_to_consenting_seekers_and_only_once(api, employer, tmp_path):
    consenting = await seeker_with_search(api, "seeker20@jobboard.test", consent=True)
    await seeker_with_search(api, "seeker21@jobboard.test", consent=False)
    await employer.post(title="Python developer", prefecture="Tokyo")
    await employer.post(title="Python developer in Osaka", prefecture="Osaka")

    now = datetime.now(UTC) + timedelta(minutes=5)
    report = await run(api, now)
    assert (report.searches, report.digests, report.without_consent) == (2, 1, 1)
    queued = await outbox(api)
    assert [n.recipient for n in queued] == ["seeker20@jobboard.test"]
    assert "Python developer (" in queued[0].body and "Osaka" not in queued[0].body

    again = await run(api, now)
    assert again.searches == 0, "a search ran today is not due again"
    assert len(await outbox(api)) == 1

    sender = FileSender(tmp_path)
    services = api.app.state.services
    first = await deliver(services.sessions, ["jobboard"], sender)
    second = await deliver(services.sessions, ["jobboard"], sender)
    assert (first.sent, second.sent) == (1, 0)
    mail = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert mail["recipient"] == "seeker20@jobboard.test"
    assert (await outbox(api))[0].status == "SENT"

    # Withdrawn consent: the next day's run writes nothing.
    await api.data(CONSENT, {"granted": False}, tenant="jobboard", token=consenting)
    await employer.post(title="Python lead", prefecture="Tokyo")
    later = await run(api, now + timedelta(days=1, minutes=5))
    assert later.digests == 0 and later.without_consent == 2


async def test_failed_deliveries_are_retried_then_left_failed(api, employer):
    await seeker_with_search(api, "seeker22@jobboard.test", consent=True)
    await employer.post(title="Python tester", prefecture="Tokyo")
    await run(api, datetime.now(UTC) + timedelta(minutes=5))
    services = api.app.state.services

    flaky = FlakySender(failures=1)
    report = await deliver(services.sessions, ["jobboard"], flaky)
    assert (report.sent, report.retrying) == (0, 1)
    [pending] = await outbox(api)
    assert pending.status == "PENDING" and "unreachable" in pending.last_error
    assert (await deliver(services.sessions, ["jobboard"], flaky)).sent == 0, "not due yet"
    later = datetime.now(UTC) + timedelta(hours=1)
    assert (await deliver(services.sessions, ["jobboard"], flaky, now=later)).sent == 1

    await seeker_with_search(api, "seeker23@jobboard.test", consent=True)
    await employer.post(title="Python architect", prefecture="Tokyo")
    await run(api, datetime.now(UTC) + timedelta(days=2))
    broken = FlakySender(failures=100)
    when = datetime.now(UTC)
    for _ in range(MAX_ATTEMPTS):
        when += timedelta(days=1)
        await deliver(services.sessions, ["jobboard"], broken, now=when)
    statuses = sorted(n.status for n in await outbox(api))
    assert statuses.count("FAILED") == 1 and broken.sent == []


async def test_the_alerts_command_queues_and_sends(api, employer, database, tmp_path, monkeypatch):
    await seeker_with_search(api, "seeker24@jobboard.test", consent=True)
    await employer.post(title="Python mentor", prefecture="Tokyo")
    monkeypatch.setenv("DATABASE_URL", database.admin)
    monkeypatch.setenv("JOBGRAPH_MAIL_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = await asyncio.to_thread(CliRunner().invoke, main, ["alerts", "run"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "1 digests queued" in result.output and "sent 1" in result.output
    assert len(list(tmp_path.glob("*.json"))) == 1


async def test_a_site_that_stops_mailing_alerts_sends_none_whatever_the_consent(api, employer):
    await seeker_with_search(api, "seeker22@jobboard.test", consent=True)
    await employer.post(title="Python developer", prefecture="Tokyo")
    # The partner site first: a main site cannot be left looser than its partners' uses.
    for site in ("kansai-jobs", "jobboard"):
        admin = (await api.staff_sign_in(f"admin@{site}.test", site))["accessToken"]
        await api.data(
            'mutation { updateTenantPolicy(changes: {data_uses: ["STATISTICS", "RESUME_SEARCH"]}) '
            "{ settings { version } } }",
            tenant=site,
            token=admin,
        )
    report = await run(api, datetime.now(UTC) + timedelta(minutes=5))
    assert (report.searches, report.digests) == (1, 0)
    assert await outbox(api) == []
