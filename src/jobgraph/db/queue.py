"""The one queue of everything sent later, and its one discipline: claim with a lease, send,
settle. Its items are the rows of the tables that say what is to be sent (the outbox's mail,
webhook deliveries), each table a kind of the queue (``QueueKind``) with the columns every
item has (``Queued``): the item is the record of what was sent, so its state is the domain's
own (a partner reads its deliveries through the API) and nothing is written twice.

- **Claimed** in a transaction committed before sending, with ``FOR UPDATE SKIP LOCKED``:
  two processes never take one item; the item is SENDING until its lease ends
  (``next_attempt_at``) and counts the attempt.
- **Sent at least once**: a process that dies before settling leaves its item to be taken
  again when the lease ends, under the same id (the mail's Message-ID, the webhook-id), which
  receivers deduplicate on. Cancellation (a stopping process) settles nothing, like a crash.
- **Settled** by what the attempt did: done; or due again after the kind's next pause; or,
  past the kind's last attempt or age, FAILED for a person to look at.

Items carry what is to be sent to whom and are erased with their subject (the account's
mail with the account, a company's deliveries with its endpoint); a webhook's applicant is
read when it is sent, never kept with the delivery. Periodic work (``work/``) runs each
kind's sender; the schedule of that work is kept apart (``work/schedule.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Integer, Select, String, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement


class QueueStatus(StrEnum):
    PENDING = "PENDING"  # waits for its next attempt
    SENDING = "SENDING"  # claimed until next_attempt_at (its lease)
    FAILED = "FAILED"  # given up after its last attempt


class Queued:
    """The columns of every item of the queue (a mixin of the kinds' tables, which are
    ``PoolOwned``: ``id`` and ``created_at`` come from there)."""

    status: Mapped[str] = mapped_column(String(10), default=QueueStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # started, the lost included
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))


@dataclass(frozen=True)
class QueueKind:
    """A kind of item: its table, the status of one sent, and its retry schedule."""

    name: str
    table: type[Any]  # PoolOwned and Queued
    done: str  # the status of an item sent (SENT, DELIVERED)
    pauses: tuple[timedelta, ...]  # before each next attempt (the last repeats)
    guarantee: str  # in words, for operations.md
    max_attempts: int | None = None  # given up after this many attempts...
    max_age: timedelta | None = None  # ...or once this old

    def waiting(self) -> ColumnElement[bool]:
        """Items not yet sent nor given up (due or not)."""
        status: ColumnElement[str] = self.table.status
        return status.in_([QueueStatus.PENDING, QueueStatus.SENDING])

    def due(self, now: datetime) -> ColumnElement[bool]:
        """Waiting and due: never tried, due again, or claimed by a lease that has ended."""
        at = self.table.next_attempt_at
        return self.waiting() & or_(at.is_(None), at <= now)

    def schedule(self) -> str:
        """The retry schedule, in words."""
        pauses = ", ".join(_words(pause) for pause in self.pauses)
        until = (
            f"{self.max_attempts} attempts"
            if self.max_attempts is not None
            else f"{_words(self.max_age)}"
            if self.max_age is not None
            else "forever"
        )
        return f"again after {pauses} (the last repeating), for {until}"


def _words(pause: timedelta | None) -> str:
    seconds = int(pause.total_seconds()) if pause is not None else 0
    for unit, size in (("day", 86400), ("hour", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 and unit != 'min' else ''}"
    return f"{seconds} s"


async def claim(
    db: AsyncSession,
    kind: QueueKind,
    statement: Select[*tuple[Any, ...]],
    now: datetime,
    lease: timedelta,
    limit: int,
    lock: Sequence[type[Any]] = (),
) -> list[Any]:
    """The rows of ``statement`` (selecting the kind's table first, then anything joined)
    whose item is due, oldest due first, locked (with ``lock``'s tables) and skipped where
    another process holds them; each item then SENDING until ``now + lease``, its attempt
    counted. Commit before sending."""
    table = kind.table
    rows = (
        await db.execute(
            statement.where(kind.due(now))
            .order_by(table.next_attempt_at.asc().nulls_first(), table.created_at)
            .limit(limit)
            .with_for_update(of=[table, *lock], skip_locked=True)
        )
    ).all()
    for row in rows:
        item = row[0]
        item.status = QueueStatus.SENDING
        item.next_attempt_at = now + lease
        item.attempts += 1
    return list(rows)


@dataclass(frozen=True)
class Settled:
    """What became of an attempt: ``status`` is the kind's done, PENDING or FAILED."""

    status: str
    values: dict[str, Any]


def settled(
    kind: QueueKind,
    attempts: int,
    created_at: datetime,
    now: datetime,
    sent: bool,
    error: str | None,
) -> Settled:
    """The values of an item after its ``attempts``-th attempt ended: ``sent``, or not and
    why (``error``, where there is more to say than the item's own columns record)."""
    if sent:
        return Settled(kind.done, {"status": kind.done, "last_error": None})
    error = error[:500] if error is not None else None
    if (kind.max_attempts is not None and attempts >= kind.max_attempts) or (
        kind.max_age is not None and now - created_at >= kind.max_age
    ):
        return Settled(QueueStatus.FAILED, {"status": QueueStatus.FAILED, "last_error": error})
    pause = kind.pauses[min(attempts, len(kind.pauses)) - 1]
    return Settled(
        QueueStatus.PENDING,
        {"status": QueueStatus.PENDING, "last_error": error, "next_attempt_at": now + pause},
    )


async def settle(db: AsyncSession, kind: QueueKind, item_id: Any, values: dict[str, Any]) -> None:
    table = kind.table
    await db.execute(update(table).where(table.id == item_id).values(**values))
