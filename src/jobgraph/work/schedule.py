"""Taking and handing back periodic work (``ScheduledWork``), by PostgreSQL's clock so that
processes on several machines agree: a kind is taken only when due and held by nobody (or
by a holder whose lease ended), with ``FOR UPDATE SKIP LOCKED``, so two processes never
run one kind at once; what a run does is itself idempotent (dedupe keys, claims), so a run
repeated after a lost lease repeats nothing a person sees twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobgraph.work.models import ScheduledWork


async def ensure(sessions: async_sessionmaker[AsyncSession], names: list[str]) -> None:
    """A row for each kind, due now where it is new."""
    async with sessions() as session, session.begin():
        await session.execute(
            pg_insert(ScheduledWork)
            .values([{"name": name, "due_at": func.now(), "runs": 0} for name in names])
            .on_conflict_do_nothing(index_elements=["name"])
        )


async def take(sessions: async_sessionmaker[AsyncSession], name: str, lease: timedelta) -> bool:
    """Take ``name`` if it is due and nobody holds it; True if taken (committed)."""
    now = func.now()
    free = (
        select(ScheduledWork.name)
        .where(
            ScheduledWork.name == name,
            ScheduledWork.due_at <= now,
            (ScheduledWork.lease_until.is_(None)) | (ScheduledWork.lease_until <= now),
        )
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    async with sessions() as session, session.begin():
        taken = await session.scalar(
            update(ScheduledWork)
            .where(ScheduledWork.name == free)
            .values(
                lease_until=now + lease,
                last_started_at=now,
                runs=ScheduledWork.runs + 1,
            )
            .returning(ScheduledWork.name)
        )
    return taken is not None


async def hand_back(
    sessions: async_sessionmaker[AsyncSession],
    name: str,
    every: timedelta,
    error: str | None,
) -> None:
    """Done with ``name`` (``error`` where it failed): due again ``every`` from now."""
    now = func.now()
    async with sessions() as session, session.begin():
        await session.execute(
            update(ScheduledWork)
            .where(ScheduledWork.name == name)
            .values(
                due_at=now + every,
                lease_until=None,
                last_finished_at=now,
                last_error=error[:500] if error is not None else None,
            )
        )


@dataclass(frozen=True)
class Due:
    name: str
    overdue_s: float  # how long past its due time (0 where not yet due)
    held: bool
    last_error: str | None


async def schedule(sessions: async_sessionmaker[AsyncSession]) -> list[Due]:
    """Each kind's state, for /readyz and the metrics."""
    async with sessions() as session:
        rows = (
            await session.execute(
                select(
                    ScheduledWork.name,
                    func.greatest(func.extract("epoch", func.now() - ScheduledWork.due_at), 0),
                    ScheduledWork.lease_until > func.now(),
                    ScheduledWork.last_error,
                ).order_by(ScheduledWork.name)
            )
        ).all()
    return [Due(name, float(overdue), bool(held), error) for name, overdue, held, error in rows]
