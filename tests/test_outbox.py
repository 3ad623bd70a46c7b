"""The outbox's mail arrives: every serving process sends it, never one message twice,
one claimed by a process that died is sent when its lease ends, and the command that
sends it by hand works in a process of its own."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from jobgraph.notifications.outbox import LEASE, deliver
from jobgraph.notifications.senders import Mail
from tests.conftest import TEST_SETTINGS, code_in
from tests.support.accounts import CONFIRM, register
from tests.support.commands import jobgraph_command


class HeldSender:
    """Keeps what it is given, and holds the first message until released: a sender
    caught mid-send, as a slow SMTP server or a process about to die would leave it."""

    def __init__(self) -> None:
        self.sent: list[Mail] = []
        self.sending = asyncio.Event()
        self.release = asyncio.Event()

    async def send(self, mail: Mail) -> None:
        self.sending.set()
        await self.release.wait()
        self.sent.append(mail)


class KeepingSender:
    def __init__(self) -> None:
        self.sent: list[Mail] = []

    async def send(self, mail: Mail) -> None:
        self.sent.append(mail)


async def test_two_senders_never_send_one_message_twice(api, serve, database):
    await register(api, "jobboard", "twice@example.org")
    pools = (await api.app.state.services.registry.current()).pools()
    async with serve(database) as other:  # a second serving process on the same database
        held, keeping = HeldSender(), KeepingSender()
        first = asyncio.create_task(deliver(api.app.state.services.sessions, pools, held))
        await held.sending.wait()
        second = await deliver(other.app.state.services.sessions, pools, keeping)
        held.release.set()
        assert (await first).sent == 1
    assert second.sent == 0 and keeping.sent == []
    [mail] = held.sent
    assert mail.recipient == "twice@example.org" and mail.subject.startswith("Confirm")


async def test_a_message_whose_sender_died_is_sent_when_its_lease_ends(api):
    await register(api, "jobboard", "lease@example.org")
    services = api.app.state.services
    pools = (await services.registry.current()).pools()
    dying = HeldSender()
    claimed = asyncio.create_task(deliver(services.sessions, pools, dying))
    await dying.sending.wait()
    claimed.cancel()  # the process died with the message claimed
    again = KeepingSender()
    assert (await deliver(services.sessions, pools, again)).sent == 0, "its lease holds"
    later = datetime.now(UTC) + LEASE * 2
    assert (await deliver(services.sessions, pools, again, now=later)).sent == 1
    [mail] = again.sent
    assert mail.recipient == "lease@example.org"


async def test_a_serving_process_sends_the_mail_and_the_seeker_signs_up_with_it(serve, database):
    """Nobody runs a command: the serving process sends the confirmation by itself, and
    the code it carries signs the seeker in."""
    settings = TEST_SETTINGS.model_copy(update={"mail_interval_s": 0.01, "work_in_serve": True})
    async with serve(database, settings) as api:
        inbox = Inbox()
        api.app.state.services.mail = inbox
        await register(api, "jobboard", "walk@example.org")
        mail = await asyncio.wait_for(inbox.arrived, timeout=30)
        assert mail.recipient == "walk@example.org"
        body = await api.data(CONFIRM, {"t": code_in(mail.body)}, tenant="jobboard")
    assert body["confirmRegistration"]["accessToken"]


class Inbox:
    """The first message a sender is given, as a future to await."""

    def __init__(self) -> None:
        self.arrived: asyncio.Future[Mail] = asyncio.get_running_loop().create_future()

    async def send(self, mail: Mail) -> None:
        if not self.arrived.done():
            self.arrived.set_result(mail)


async def test_the_send_command_sends_a_queued_message_in_a_process_of_its_own(
    api, database, tmp_path
):
    await register(api, "jobboard", "command@example.org")
    result = await jobgraph_command(
        database, "notifications", "send", JOBGRAPH_MAIL_DIR=str(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sent 1, retrying 0, failed 0" in result.stdout + result.stderr
    [written] = tmp_path.glob("*.json")
    assert json.loads(written.read_text())["recipient"] == "command@example.org"
