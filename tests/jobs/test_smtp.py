"""The SMTP sender against a real SMTP server on this machine (aiosmtpd)."""

import socket

import pytest
from aiosmtpd.controller import Controller

from jobgraph.notifications.senders import Mail, SmtpSender


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


async def test_mail_goes_out_over_smtp(smtp_server):
    inbox, port = smtp_server
    sender = SmtpSender(f"smtp://127.0.0.1:{port}", "Jobs <no-reply@jobboard.test>")
    await sender.send(
        Mail(
            id="m-1",
            recipient="seeker@example.org",
            subject="New jobs",
            body="東京の求人が3件あります。",
        )
    )
    [(mail_from, recipients, content)] = inbox.messages
    assert mail_from == "no-reply@jobboard.test"
    assert recipients == ["seeker@example.org"]
    assert b"Subject: New jobs" in content and b"Message-ID: <m-1@jobgraph>" in content


async def test_an_unreachable_server_raises_for_the_outbox_to_retry():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sender = SmtpSender(f"smtp://127.0.0.1:{port}", "no-reply@jobboard.test")
    with pytest.raises(OSError):
        await sender.send(Mail(id="m-2", recipient="a@b.cd", subject="x", body="y"))
