"""Where outgoing mail goes: SMTP (aiosmtplib) in production, a folder or the console in
development. Chosen by JOBGRAPH_MAIL_SENDER."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from jobgraph.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    id: str
    recipient: str
    subject: str
    body: str


class Sender(Protocol):
    async def send(self, mail: Mail) -> None: ...

    async def forget(self, ids: list[str]) -> None:
        """Drop what this sender kept of these messages (their person was erased)."""
        ...


class ConsoleSender:
    """Logs that a message went out, not what it says (it holds personal data)."""

    async def send(self, mail: Mail) -> None:
        log.info("mail %s sent (console sender): %s", mail.id, mail.subject)

    async def forget(self, ids: list[str]) -> None:
        return None  # it kept nothing


class FileSender:
    """One JSON file per message in a folder: what a developer's inbox looks like."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, mail: Mail) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{mail.id}.json"
        target.write_text(json.dumps(mail.__dict__, ensure_ascii=False, indent=2), encoding="utf-8")

    async def forget(self, ids: list[str]) -> None:
        for mail_id in ids:
            (self.directory / f"{mail_id}.json").unlink(missing_ok=True)


class SmtpSender:
    """smtp://user:password@host:port (STARTTLS when offered) or smtps://… (TLS)."""

    def __init__(self, url: str, sender: str) -> None:
        self.url = urlsplit(url)
        self.sender = sender

    async def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = (
            self.sender,
            mail.recipient,
            mail.subject,
        )
        message["Message-ID"] = f"<{mail.id}@jobgraph>"
        message.set_content(mail.body)
        await aiosmtplib.send(
            message,
            hostname=self.url.hostname,
            port=self.url.port,
            username=unquote(self.url.username) if self.url.username else None,
            password=unquote(self.url.password) if self.url.password else None,
            use_tls=self.url.scheme == "smtps",
            timeout=20,
        )

    async def forget(self, ids: list[str]) -> None:
        return None  # sent away: the recipient's mailbox is theirs


def sender_from(settings: Settings) -> Sender:
    if settings.mail_sender == "smtp":
        if not settings.smtp_url:
            raise ValueError("JOBGRAPH_MAIL_SENDER=smtp needs JOBGRAPH_SMTP_URL.")
        return SmtpSender(settings.smtp_url, settings.mail_from)
    if settings.mail_sender == "console":
        return ConsoleSender()
    if settings.mail_sender == "file":
        return FileSender(settings.mail_dir)
    raise ValueError(
        f"JOBGRAPH_MAIL_SENDER must be smtp, file or console, not {settings.mail_sender!r}."
    )
