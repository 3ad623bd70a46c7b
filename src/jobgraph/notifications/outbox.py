"""The outbox: mail written in the same transaction as the reason to send it, and sent as a
kind of the one queue (``MAIL``, db/queue.py): claimed with a lease, so two senders never
send one message twice; one whose sender died is sent again when its lease ends, under the
same id (at least once); a failure is retried with growing pauses, and after the last
attempt it stays FAILED for a person to look at."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobgraph.db.engine import bind_pool, rows_changed
from jobgraph.db.queue import QueueKind, claim, settle, settled
from jobgraph.notifications.models import Notification, NotificationStatus
from jobgraph.notifications.senders import Mail, Sender
from jobgraph.tenancy.registry import Tenant

MAX_ATTEMPTS = 5
BATCH = 100
LEASE = timedelta(minutes=5)  # a claimed message not recorded by then is sent again

MAIL = QueueKind(
    "mail",
    Notification,
    done=NotificationStatus.SENT,
    pauses=tuple(timedelta(minutes=2**attempt) for attempt in range(1, MAX_ATTEMPTS)),
    max_attempts=MAX_ATTEMPTS,
    guarantee="at least once, with the message's id as its Message-ID",
)


async def enqueue(
    db: AsyncSession,
    tenant: Tenant,
    account_id: uuid.UUID | None,
    recipient: str,
    kind: str,
    dedupe_key: str,
    subject: str,
    body: str,
) -> bool:
    """Queue a message unless one with the same key exists; True if queued."""
    queued = await rows_changed(
        db,
        pg_insert(Notification)
        .values(
            pool_id=tenant.pool_id,
            tenant_slug=tenant.slug,
            id=uuid.uuid4(),
            account_id=account_id,
            kind=kind,
            dedupe_key=dedupe_key,
            recipient=recipient,
            subject=subject,
            body=body,
            status=NotificationStatus.PENDING,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["pool_id", "dedupe_key"]),
    )
    return queued == 1


async def mail(
    db: AsyncSession,
    tenant: Tenant,
    account_id: uuid.UUID | None,
    recipient: str,
    kind: str,
    subject: str,
    body: str,
) -> None:
    """Queue a message sent for one act only (a code, a notice): nothing to deduplicate."""
    await enqueue(db, tenant, account_id, recipient, kind, f"{kind}:{uuid.uuid4()}", subject, body)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


async def deliver(
    sessions: async_sessionmaker[AsyncSession],
    pools: list[str],
    sender: Sender,
    now: datetime | None = None,
) -> DeliveryReport:
    report = DeliveryReport()
    now = now or datetime.now(UTC)
    for pool in pools:
        while claimed := await _claim(sessions, pool, now):
            for notification in claimed:
                await _send_one(sessions, pool, sender, notification, report)
    return report


async def _claim(
    sessions: async_sessionmaker[AsyncSession], pool: str, now: datetime
) -> list[Notification]:
    async with sessions() as session, session.begin():
        bind_pool(session, pool)
        rows = await claim(session, MAIL, select(Notification), now, LEASE, BATCH)
    return [notification for (notification,) in rows]


async def _send_one(
    sessions: async_sessionmaker[AsyncSession],
    pool: str,
    sender: Sender,
    notification: Notification,
    report: DeliveryReport,
) -> None:
    mail = Mail(
        id=str(notification.id),
        recipient=notification.recipient,
        subject=notification.subject,
        body=notification.body,
    )
    error = None
    try:
        await sender.send(mail)
    except Exception as failure:  # any sender failure is retried, whatever its kind
        error = f"{type(failure).__name__}: {failure}"
        report.errors.append(f"{notification.id}: {type(failure).__name__}")
    now = datetime.now(UTC)
    outcome = settled(
        MAIL, notification.attempts, notification.created_at, now, error is None, error
    )
    values = outcome.values | ({"sent_at": now} if error is None else {})
    if outcome.status == NotificationStatus.SENT:
        report.sent += 1
    elif outcome.status == NotificationStatus.FAILED:
        report.failed += 1
    else:
        report.retrying += 1
    async with sessions() as session, session.begin():
        bind_pool(session, pool)
        await settle(session, MAIL, notification.id, values)
