"""Delivering the outbox. A message is claimed (SENDING, with a lease) and committed before
it is sent, with ``FOR UPDATE SKIP LOCKED``, so two senders (every serve process is one)
never send it twice; one claimed by a process that died before recording it is sent again
when its lease ends, under the same message id (at least once). A failure is retried with
growing pauses, and after the last attempt it stays FAILED for a person to look at."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobgraph.db.engine import bind_pool, rows_changed
from jobgraph.notifications.models import Notification, NotificationStatus
from jobgraph.notifications.senders import Mail, Sender
from jobgraph.tenancy.registry import Tenant

MAX_ATTEMPTS = 5
BATCH = 100
LEASE = timedelta(minutes=5)  # a claimed message not recorded by then is sent again


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
        rows = list(
            (
                await session.scalars(
                    select(Notification)
                    .where(
                        Notification.status.in_(
                            [NotificationStatus.PENDING, NotificationStatus.SENDING]
                        ),
                        or_(
                            Notification.next_attempt_at.is_(None),
                            Notification.next_attempt_at <= now,
                        ),
                    )
                    .order_by(Notification.created_at)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
            ).all()
        )
        for row in rows:
            row.status = NotificationStatus.SENDING
            row.next_attempt_at = now + LEASE  # the lease: SENDING, due again only after it
            row.attempts += 1
    return rows


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
    values: dict[str, object]
    try:
        await sender.send(mail)
    except Exception as error:  # any sender failure is retried, whatever its kind
        failed = notification.attempts >= MAX_ATTEMPTS
        values = {
            "status": NotificationStatus.FAILED if failed else NotificationStatus.PENDING,
            "last_error": f"{type(error).__name__}: {error}"[:500],
            "next_attempt_at": datetime.now(UTC) + timedelta(minutes=2**notification.attempts),
        }
        if failed:
            report.failed += 1
        else:
            report.retrying += 1
        report.errors.append(f"{notification.id}: {type(error).__name__}")
    else:
        values = {
            "status": NotificationStatus.SENT,
            "sent_at": datetime.now(UTC),
            "last_error": None,
        }
        report.sent += 1
    async with sessions() as session, session.begin():
        bind_pool(session, pool)
        await session.execute(
            update(Notification).where(Notification.id == notification.id).values(**values)
        )
