"""What every command shares: the ``jobgraph`` group, progress lines, errors, the database
and the app's engine, the tenant files and the demo data. Every subcommand without
DATABASE_URL uses the embedded PostgreSQL, starting it if needed and stopping it afterwards
if it started it."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from jobgraph.db.urls import DatabaseUrls
from jobgraph.settings import Settings, get_settings


class Steps:
    """Numbered progress lines for long commands: '[2/5] Migrating ... done (0.4 s)'."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.number = 0

    def run(self, title: str, action: Callable[[], Any]) -> Any:
        self.number += 1
        click.echo(f"[{self.number}/{self.total}] {title} ...")
        started = time.monotonic()
        try:
            result = action()
        except Exception:
            click.echo("      failed")
            raise
        click.echo(f"      done ({time.monotonic() - started:.1f} s)")
        return result


def detail(message: str) -> None:
    click.echo(f"      {message}")


def fail(error: Exception | str) -> NoReturn:
    click.secho(f"error: {error}", fg="red", err=True)
    sys.exit(1)


def run_async(coroutine: Awaitable[Any]) -> Any:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


@click.group(help="jobgraph: a multi-tenant job-board GraphQL service.")
@click.option("--log-level", default=None, help="Overrides JOBGRAPH_LOG_LEVEL.")
def main(log_level: str | None) -> None:
    from jobgraph.observability import configure_logging

    level = (log_level or get_settings().log_level).upper()
    configure_logging(level, get_settings().log_format)
    for chatty in ("jobgraph.db.embedded", "alembic"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLevelName(level)))


async def load_registry(sessions: Any) -> Any:
    from jobgraph.tenancy.registry import TenantRegistry

    async with sessions() as session:
        return await TenantRegistry.load(session)


def migrate_database(urls: DatabaseUrls, settings: Settings) -> None:
    from jobgraph.db.migrate import upgrade

    upgrade(urls.admin, settings.app_db_password)


async def with_app_engine(
    urls: DatabaseUrls, settings: Settings, work: Callable[[Any], Awaitable[Any]]
) -> Any:
    from jobgraph import tables  # noqa: F401  every table, for the foreign keys between domains
    from jobgraph.db.engine import create_engine, session_factory

    engine = create_engine(urls.app, settings)
    try:
        return await work(session_factory(engine))
    finally:
        await engine.dispose()


async def check_migrated(urls: DatabaseUrls, settings: Settings) -> None:
    from jobgraph.db.migrate import ensure_migrated

    async def check(sessions: Any) -> None:
        await ensure_migrated(sessions.kw["bind"])

    await with_app_engine(urls, settings, check)


async def sync_files(
    urls: DatabaseUrls,
    settings: Settings,
    directory: Path,
    take: Any = None,
    at_start: bool = False,
) -> Any:
    from jobgraph.graphql.hooks import tenancy_hooks
    from jobgraph.tenancy.files import load_tenant_dir
    from jobgraph.tenancy.sync import sync_tenants

    configs = load_tenant_dir(directory)

    async def sync(sessions: Any) -> Any:
        async with sessions() as session:
            report = await sync_tenants(
                session, configs, hooks=tenancy_hooks(), take=take, at_start=at_start
            )
        for line in str(report).splitlines():
            detail(line)
        return report

    return await with_app_engine(urls, settings, sync)


async def export_files(
    urls: DatabaseUrls, settings: Settings, directory: Path, hand_back: bool, take_site: bool
) -> None:
    from jobgraph.graphql.hooks import tenancy_hooks
    from jobgraph.tenancy.sync import export_tenants

    async def export(sessions: Any) -> None:
        async with sessions() as session:
            written = await export_tenants(
                session, directory, hooks=tenancy_hooks(), hand_back=hand_back, take_site=take_site
            )
        detail(f"wrote {', '.join(path.name for path in written)}")

    await with_app_engine(urls, settings, export)


async def load_demo_data(urls: DatabaseUrls, settings: Settings, scale: int, reset: bool) -> None:
    from jobgraph.demo import load_demo
    from jobgraph.tenancy.registry import TenantRegistry

    async def load(sessions: Any) -> None:
        async with sessions() as session:
            registry = await TenantRegistry.load(session)
        await load_demo(
            sessions,
            registry,
            settings.secret_key,
            scale=scale,
            reset=reset,
            progress=detail,
            applications=True,
        )

    await with_app_engine(urls, settings, load)
