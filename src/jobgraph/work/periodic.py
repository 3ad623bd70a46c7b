"""The periodic work, each kind at its interval and once at a time across every process that
runs work (each `jobgraph serve` process where JOBGRAPH_WORK_IN_SERVE is on, and
`jobgraph worker`), by the schedule kept in PostgreSQL (``work/schedule.py``):

- ``webhooks``: announce the postings that expired, send the webhook deliveries due;
- ``mail``: send the outbox's mail that is due;
- ``alerts``: queue the job alerts of the saved searches due (with consent);
- ``posting-reminders``: remind companies of postings about to leave search unconfirmed;
- ``resume-reminders``: ask seekers to review a resume unchanged for the site's period.

Each is idempotent (claims with leases, dedupe keys), so a run repeated after a process
died holding it repeats nothing anyone receives twice; what it queues is sent by the
``mail`` and ``webhooks`` kinds, each item at least once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobgraph.db.engine import bind_pool
from jobgraph.db.outages import is_database_outage
from jobgraph.db.queue import QueueKind
from jobgraph.graphql.services import Services
from jobgraph.jobs.alerts import run_alerts
from jobgraph.jobs.postings import announce_expired, remind_unconfirmed
from jobgraph.notifications.outbox import MAIL, deliver
from jobgraph.notifications.senders import Sender
from jobgraph.privacy.rights import queue_every_update_request
from jobgraph.settings import Settings
from jobgraph.tenancy.registry import TenantRegistry
from jobgraph.webhooks.delivery import WEBHOOKS, deliver_due
from jobgraph.webhooks.hooks import WebhookHooks
from jobgraph.work import schedule

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkContext:
    """What the kinds of work need: the service's (``of``) or a one-off command's."""

    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    mail: Sender
    webhook_hooks: WebhookHooks
    registry: Callable[[], Awaitable[TenantRegistry]]  # the registry as it is now

    @classmethod
    def of(cls, services: Services) -> WorkContext:
        return cls(
            services.sessions,
            services.settings,
            services.mail,
            services.webhook_hooks,
            services.registry.current,
        )


@dataclass(frozen=True)
class Ran:
    """What a run of a kind did: in words for the log, and how many things it did (a run
    that did nothing is logged at debug level only: most runs of a quiet site)."""

    said: str
    acted: int

    def __str__(self) -> str:
        return self.said


async def _webhooks(work: WorkContext) -> Ran:
    registry = await work.registry()
    expired = await announce_expired(work.sessions, registry)
    report = await deliver_due(
        work.sessions,
        registry,
        work.settings.secret_key,
        work.settings.webhooks_allow_private,
        work.webhook_hooks,
        lease=timedelta(seconds=work.settings.webhooks_lease_s),
    )
    return Ran(
        f"{expired} expired postings announced; {report.delivered} delivered, "
        f"{report.retrying} to try again, {report.failed} given up",
        expired + report.delivered + report.retrying + report.failed,
    )


async def _mail(work: WorkContext) -> Ran:
    report = await deliver(work.sessions, (await work.registry()).pools(), work.mail)
    return Ran(
        f"sent {report.sent}, retrying {report.retrying}, failed {report.failed} "
        f"(sender: {work.settings.mail_sender})",
        report.sent + report.retrying + report.failed,
    )


async def _alerts(work: WorkContext) -> Ran:
    report = await run_alerts(work.sessions, await work.registry())
    return Ran(
        f"{report.searches} saved searches due, {report.digests} digests queued, "
        f"{report.without_consent} skipped for want of consent",
        report.searches,
    )


async def _posting_reminders(work: WorkContext) -> Ran:
    queued = await remind_unconfirmed(work.sessions, await work.registry())
    return Ran(f"{queued} reminders queued", queued)


async def _resume_reminders(work: WorkContext) -> Ran:
    registry = await work.registry()
    queued = await queue_every_update_request(work.sessions, registry, datetime.now(UTC))
    return Ran(f"{queued} review requests queued", queued)


# Every kind, by name: what it does, in words for the log.
KINDS: Mapping[str, Callable[[WorkContext], Awaitable[Ran]]] = MappingProxyType(
    {
        "webhooks": _webhooks,
        "mail": _mail,
        "alerts": _alerts,
        "posting-reminders": _posting_reminders,
        "resume-reminders": _resume_reminders,
    }
)


@dataclass(frozen=True)
class Periodic:
    name: str
    every_s: float


def periodic_work(settings: Settings) -> tuple[Periodic, ...]:
    """The kinds this deployment runs, each at its interval (0 turns one off)."""
    every = {
        "webhooks": settings.webhooks_interval_s,
        "mail": settings.mail_interval_s,
        "alerts": settings.alerts_interval_s,
        "posting-reminders": settings.reminders_interval_s,
        "resume-reminders": settings.reminders_interval_s,
    }
    return tuple(Periodic(name, every[name]) for name in KINDS if every[name] > 0)


async def run_work(services: Services) -> None:
    """Forever: take each kind that is due and nobody holds, run it, hand it back due
    again after its interval; then look again. Cancelled (shutdown) while running one, it
    hands that one back due at once, for another process to take without waiting for the
    lease."""
    kinds = periodic_work(services.settings)
    if not kinds:
        return
    work, sessions = WorkContext.of(services), services.sessions
    lease = timedelta(seconds=services.settings.work_lease_s)
    pause = min(services.settings.work_poll_s, *(kind.every_s for kind in kinds))
    ensured = False  # each kind's row, made once (on the first look the database answers)
    while True:
        try:
            if not ensured:
                await schedule.ensure(sessions, [kind.name for kind in kinds])
                ensured = True
            for kind in kinds:
                if await schedule.take(sessions, kind.name, lease):
                    await _run_taken(work, kind)
            log.debug("work: the schedule was checked")
        except Exception as error:  # the database away a moment: the next look tries again
            if not is_database_outage(error):
                log.exception("work: the schedule could not be read")
            else:
                log.warning("work: the database cannot be reached now: %s", error)
        services.metrics.observe_work(await backlog(work))
        await asyncio.sleep(pause)


async def _run_taken(work: WorkContext, kind: Periodic) -> None:
    every, error = timedelta(seconds=kind.every_s), None
    try:
        ran = await KINDS[kind.name](work)
        log.log(logging.INFO if ran.acted else logging.DEBUG, "work: %s: %s", kind.name, ran)
    except asyncio.CancelledError:
        await asyncio.shield(schedule.hand_back(work.sessions, kind.name, timedelta(), None))
        raise
    except Exception as failure:  # kept with the schedule, and tried at the next interval
        error = f"{type(failure).__name__}: {failure}"
        log.exception("work: %s failed", kind.name)
    await schedule.hand_back(work.sessions, kind.name, every, error)


# The queue's kinds (db/queue.py), each sent by the periodic work of its name.
QUEUE_KINDS: tuple[QueueKind, ...] = (MAIL, WEBHOOKS)


@dataclass(frozen=True)
class Queue:
    queued: int  # waiting to be sent, due now or later
    oldest_s: float  # the age of the oldest of them, in seconds (0 where none)


async def backlog(work: WorkContext) -> dict[str, Queue] | None:
    """What waits to be sent (the outbox's mail, webhook deliveries) over every pool, or
    None where the database cannot say now."""
    try:
        pools = (await work.registry()).pools()
        return {kind.name: await _queue(work.sessions, pools, kind) for kind in QUEUE_KINDS}
    except Exception:  # /readyz reports the database itself
        log.warning("work: the backlog could not be read", exc_info=True)
        return None


async def _queue(
    sessions: async_sessionmaker[AsyncSession], pools: list[str], kind: QueueKind
) -> Queue:
    queued, oldest = 0, 0.0
    created_at = kind.table.created_at
    for pool in pools:  # row-level security: one pool per transaction
        async with sessions() as session, session.begin():
            bind_pool(session, pool)
            count, age = (
                await session.execute(
                    select(
                        func.count(),
                        func.coalesce(func.extract("epoch", func.now() - func.min(created_at)), 0),
                    ).where(kind.waiting())
                )
            ).one()
        queued += int(count)
        oldest = max(oldest, float(age))
    return Queue(queued, oldest)
