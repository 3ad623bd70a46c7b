"""Work done later or on a schedule: `jobgraph worker` runs all of it by the schedule kept in
PostgreSQL (work/periodic.py); each kind also runs once by hand: job alerts, webhook
deliveries, posting reminders, resume reminders, the outbox."""

from __future__ import annotations

import asyncio
from typing import Any

from jobgraph.cli.base import (
    Steps,
    check_migrated,
    detail,
    load_registry,
    main,
    run_async,
    with_app_engine,
)
from jobgraph.db.provision import provisioned_database
from jobgraph.settings import get_settings


@main.command(
    help="Run the periodic work alone, until stopped (SIGTERM or Ctrl-C): send mail and "
    "webhooks, announce expired postings, queue alerts and reminders, each at its interval "
    "(JOBGRAPH_*_INTERVAL_S) and once at a time across every process running work, serve "
    "processes included (JOBGRAPH_WORK_IN_SERVE=false leaves it to workers). Run as many "
    "as you like: a kind one of them holds waits for it, or for its lease to end if it died."
)
def worker() -> None:
    settings = get_settings()

    async def work(urls: Any) -> None:
        import signal

        from jobgraph.app import create_app

        await check_migrated(urls, settings)
        app = create_app(settings, urls, work=True)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(stop_signal, stopping.set)
        async with app.router.lifespan_context(app):
            detail("working; stop with SIGTERM or Ctrl-C")
            await stopping.wait()
        detail("stopped")

    with provisioned_database(settings, detail) as urls:
        Steps(1).run("Running the periodic work", lambda: run_async(work(urls)))


def _run_once(title: str, *kinds: str) -> None:
    """Run these kinds of periodic work once, in turn, saying what each did."""
    settings = get_settings()

    async def run(sessions: Any) -> None:
        from jobgraph.graphql.hooks import webhook_hooks
        from jobgraph.notifications.senders import sender_from
        from jobgraph.work.periodic import KINDS, WorkContext

        work = WorkContext(
            sessions,
            settings,
            sender_from(settings),
            webhook_hooks(),
            lambda: load_registry(sessions),
        )
        for kind in kinds:
            detail(f"{kind}: {await KINDS[kind](work)}")

    with provisioned_database(settings, detail) as urls:
        Steps(1).run(title, lambda: run_async(with_app_engine(urls, settings, run)))


@main.group(help="Job alerts for saved searches.")
def alerts() -> None:
    pass


@alerts.command(
    "run",
    help="Queue one digest per seeker of the postings new since each due saved search last "
    "ran (only with consent), then send the outbox (the periodic work does both by itself).",
)
def alerts_run() -> None:
    _run_once("Running job alerts", "alerts", "mail")


@main.group(help="Webhooks: sending what endpoints subscribed to.")
def webhooks() -> None:
    pass


@webhooks.command(
    "deliver",
    help="Announce the postings that expired, and send the webhook deliveries due now, "
    "once (the periodic work does both every JOBGRAPH_WEBHOOKS_INTERVAL_S seconds by itself).",
)
def webhooks_deliver() -> None:
    _run_once("Sending webhooks", "webhooks")


@main.group(help="Postings: keeping their information current.")
def postings() -> None:
    pass


@postings.command(
    "remind",
    help="Remind the companies of postings that leave search within a week for want of "
    "confirmation (sites with confirm_listings_every_days), then send the outbox.",
)
def postings_remind() -> None:
    _run_once("Reminding employers of postings to confirm", "posting-reminders", "mail")


@main.group(help="Requests to seekers to keep their resume up to date.")
def reminders() -> None:
    pass


@reminders.command(
    "run",
    help="Queue a review request for each seeker whose resume has not changed for the "
    "tenant's period (only with consent), then send the outbox.",
)
def reminders_run() -> None:
    _run_once("Asking seekers to review their resumes", "resume-reminders", "mail")


@main.group(help="The notification outbox.")
def notifications() -> None:
    pass


@notifications.command("send", help="Send what is due in the outbox (retrying failures).")
def notifications_send() -> None:
    _run_once("Sending the outbox", "mail")
