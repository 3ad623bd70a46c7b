"""The ``jobgraph`` command. Every subcommand without DATABASE_URL uses the embedded
PostgreSQL, starting it if needed and stopping it afterwards if it started it."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from jobgraph.db.provision import provisioned_database
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


def _detail(message: str) -> None:
    click.echo(f"      {message}")


def _fail(error: Exception | str) -> NoReturn:
    click.secho(f"error: {error}", fg="red", err=True)
    sys.exit(1)


def _run(coroutine: Awaitable[Any]) -> Any:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


@click.group(help="jobgraph: a multi-tenant job-board GraphQL service.")
@click.option("--log-level", default=None, help="Overrides JOBGRAPH_LOG_LEVEL.")
def main(log_level: str | None) -> None:
    from jobgraph.observability import configure_logging

    level = (log_level or get_settings().log_level).upper()
    configure_logging(level, get_settings().log_format)
    for chatty in ("jobgraph.db.embedded", "alembic"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLevelName(level)))


@main.command(
    help="Serve the API (migrating, syncing tenant files and loading demo data first when asked)."
)
@click.option("--migrate/--no-migrate", default=False, help="Apply migrations first.")
@click.option(
    "--sync-tenants/--no-sync-tenants",
    default=True,
    help="Validate the tenant files and load them first (default: on).",
)
@click.option("--demo/--no-demo", default=False, help="Load demo data if the database has none.")
@click.option("--host", default=None, help="Overrides JOBGRAPH_HOST.")
@click.option("--port", default=None, type=int, help="Overrides JOBGRAPH_PORT.")
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(min=1),
    help="Server processes (default: JOBGRAPH_WORKERS, else one per core with "
    "JOBGRAPH_REDIS_URL, one without); more than one needs JOBGRAPH_REDIS_URL.",
)
def serve(
    migrate: bool,
    sync_tenants: bool,
    demo: bool,
    host: str | None,
    port: int | None,
    workers: int | None,
) -> None:
    import uvicorn

    from jobgraph.app import WORKER_URLS, create_app, tune_collector
    from jobgraph.db.migrate import NotMigratedError

    settings = get_settings()
    bind_host, bind_port = host or settings.host, port or settings.port
    # The rate limits hold to their numbers only where every process counts in one place.
    default = (os.cpu_count() or 1) if settings.redis_url else 1
    workers = workers or settings.workers or default
    problem = settings.serving_problem(bind_host)
    if workers > 1 and not settings.redis_url:
        replica = (
            "; and with JOBGRAPH_READ_DATABASE_URL, a viewer's reads right after its write "
            "must reach the primary whichever process answers them"
            if settings.read_database_url
            else ""
        )
        problem = (
            f"{workers} processes need JOBGRAPH_REDIS_URL: each process would count the "
            "rate limits (sign-in, sign-up, requests per address and per site key) on its "
            f"own, so each limit would allow up to {workers} times its number{replica}. Set "
            "JOBGRAPH_REDIS_URL=redis://host:6379/0, or serve with --workers 1."
        )
    if problem:
        _fail(problem)
    steps = Steps(2 + sync_tenants + demo)
    try:
        with contextlib.ExitStack() as stack:
            urls = steps.run(
                "Starting the database",
                lambda: stack.enter_context(provisioned_database(settings, _detail)),
            )
            if migrate:
                steps.run("Migrating", lambda: _migrate(urls, settings))
            else:
                steps.run("Checking migrations", lambda: _run(_check_migrated(urls, settings)))
            if sync_tenants:
                steps.run(
                    f"Syncing tenant files from {settings.tenants_dir}",
                    lambda: _run(_sync(urls, settings, settings.tenants_dir, keep=True)),
                )
            if demo:
                steps.run("Loading demo data", lambda: _run(_demo(urls, settings, 1, False)))
            click.echo(
                f"Serving on {bind_host}:{bind_port} with {workers} "
                f"process{'es' if workers > 1 else ''} (Ctrl-C stops the server"
                f"{' and its embedded database' if not settings.database_url else ''})"
            )
            threading.Thread(
                target=_announce_when_up,
                args=(bind_host, bind_port, _where_to_start(settings, bind_port, demo)),
                daemon=True,
            ).start()
            # uvicorn shuts down gracefully on SIGTERM, then raises the signal again with the
            # handler it found: make that an orderly exit, so the embedded database stops too.
            signal.signal(signal.SIGTERM, _exit_quietly)
            options = server_options(settings) | {
                "host": bind_host,
                "port": bind_port,
                "log_level": settings.log_level.lower(),
            }
            if workers == 1:
                app = create_app(settings, urls)
                tune_collector()
                uvicorn.run(app, **options)
            else:
                # Each worker process builds its own app, with the database this one
                # started; uvicorn's supervisor stops them all on SIGTERM or Ctrl-C.
                os.environ[WORKER_URLS] = json.dumps(dataclasses.asdict(urls))
                uvicorn.run("jobgraph.app:worker_app", factory=True, workers=workers, **options)
    except NotMigratedError as error:
        _fail(error)
    except Exception as error:
        from jobgraph.db.embedded import EmbeddedPostgresError
        from jobgraph.tenancy.files import TenantConfigError

        if isinstance(error, (TenantConfigError, EmbeddedPostgresError)):
            _fail(error)
        raise


def _announce_when_up(host: str, port: int, text: str) -> None:
    """Print ``text`` once the server answers its health check (every worker's start-up
    logs come before it), or never, if it does not come up within a minute."""
    import httpx

    probe = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{probe}:{port}/healthz", timeout=1).status_code == 200:
                click.echo(text)
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)


def _where_to_start(settings: Settings, port: int, demo: bool) -> str:
    """Each site's addresses (its first hostname: *.localhost reaches this machine) and,
    with the demo, who to sign in as."""
    from jobgraph.tenancy.files import load_tenant_dir

    lines = ["It is up: open"]
    for config in load_tenant_dir(settings.tenants_dir):
        base = f"http://{config.hostnames[0]}:{port}"
        console = f"  console {base}/console" if config.employer_console_enabled else ""
        lines.append(f"  {config.branding.site_name}: API {base}/graphql{console}")
    if demo:
        from jobgraph.demo import DEMO_OPERATOR, DEMO_PASSWORD, DEMO_TOTP_SECRET

        lines += [
            f"Demo sign-ins (password {DEMO_PASSWORD}):",
            "  employer@<site>.test and admin@<site>.test, for <site> jobboard, kansai-jobs "
            "or community",
            "  seeker1@jobboard.test (kansai-jobs shares jobboard's accounts), "
            "seeker1@community.test",
            f"  {DEMO_OPERATOR}, the platform operator",
            f"Staff (admins, the operator) have a second factor: TOTP secret {DEMO_TOTP_SECRET}",
            "  (any authenticator app, or: .venv/bin/python -c 'import pyotp; "
            f'print(pyotp.TOTP("{DEMO_TOTP_SECRET}").now())\')',
        ]
    lines.append(_where_mail_goes(settings))
    return "\n".join(lines)


def _where_mail_goes(settings: Settings) -> str:
    if settings.mail_sender == "file":
        where = f"lands in {settings.mail_dir}/, one JSON file a message"
    elif settings.mail_sender == "console":
        where = "is only logged (JOBGRAPH_MAIL_SENDER=console)"
    else:
        where = "goes out by SMTP"
    if settings.mail_interval_s <= 0:
        where += "; run `jobgraph notifications send` to send it (JOBGRAPH_MAIL_INTERVAL_S=0)"
    return f"Mail (sign-up codes, password resets, invitations) {where}."


def server_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn runs the app (the tests' real-socket server uses the same)."""
    return {
        # TCP_NODELAY on every connection, whatever the number of workers (serving.py).
        "http": "jobgraph.serving:NoDelayHTTPProtocol",
        "log_config": None,  # our JSON lines, not uvicorn's
        "access_log": False,  # jobgraph logs each request itself
        "lifespan": "on",
        "timeout_graceful_shutdown": 10,
        # A subscription message is a small JSON document, as a GraphQL request body is.
        "ws_max_size": 64 * 1024,
        # Forwarded headers only from the proxies the settings name (none by default).
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": settings.trusted_proxies or None,
    }


def _exit_quietly(signum: int, frame: Any) -> None:
    raise SystemExit(0)


@main.command(help="Apply all pending migrations.")
def migrate() -> None:
    settings = get_settings()
    with provisioned_database(settings, _detail) as urls:
        Steps(1).run("Migrating", lambda: _migrate(urls, settings))


@main.group(help="Tenant files: validate them, load them into the database.")
def tenants() -> None:
    pass


@tenants.command("validate", help="Check every tenant file; exit 1 listing each problem.")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
def tenants_validate(directory: Path | None) -> None:
    from jobgraph.tenancy.files import TenantConfigError, load_tenant_dir

    directory = directory or get_settings().tenants_dir
    try:
        configs = load_tenant_dir(directory)
    except TenantConfigError as error:
        _fail(error)
    click.echo(f"{len(configs)} tenant file(s) valid: {', '.join(c.slug for c in configs)}")


@tenants.command(
    "sync",
    help="Validate the tenant files and load them (idempotent). A tenant changed through "
    "the API since its file was loaded is refused unless --force.",
)
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite tenants changed through the API.")
def tenants_sync(directory: Path | None, force: bool) -> None:
    from jobgraph.tenancy.files import TenantConfigError

    settings = get_settings()
    try:
        with provisioned_database(settings, _detail) as urls:
            Steps(1).run(
                "Syncing tenant files",
                lambda: _run(_sync(urls, settings, directory or settings.tenants_dir, force=force)),
            )
    except TenantConfigError as error:
        _fail(error)


@tenants.command(
    "export",
    help="Write every tenant's current configuration (API changes included) to its file in "
    "DIRECTORY (default: the tenants directory, whose files then manage those tenants "
    "again; a copy elsewhere changes nothing).",
)
@click.argument("directory", required=False, type=click.Path(path_type=Path))
def tenants_export(directory: Path | None) -> None:
    settings = get_settings()
    target = directory or settings.tenants_dir
    with provisioned_database(settings, _detail) as urls:
        Steps(1).run(
            f"Exporting tenants to {target}",
            lambda: _run(
                _export(urls, settings, target, target.resolve() == settings.tenants_dir.resolve())
            ),
        )


@main.command(help="Load the deterministic demo data set (companies, postings, seekers).")
@click.option("--scale", default=1, show_default=True, help="Multiply every count by this.")
@click.option("--reset", is_flag=True, help="Delete the demo pools' data first.")
def demo(scale: int, reset: bool) -> None:
    settings = get_settings()
    with provisioned_database(settings, _detail) as urls:
        Steps(1).run("Loading demo data", lambda: _run(_demo(urls, settings, scale, reset)))


def _manifest(path: Path) -> dict[str, str]:
    """A manifest's documents by their ids: a JSON list of documents, or an object mapping
    sha256:<hex> ids to documents (each id checked against its document)."""
    from jobgraph.identity.trusted_documents import document_id

    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        _fail(f"{path} is not a JSON manifest ({error}): write a list of documents.")
    documents = list(content.values()) if isinstance(content, dict) else content
    if not isinstance(documents, list) or not all(isinstance(text, str) for text in documents):
        _fail(f"{path}: write a JSON list of documents (strings), or an object of id: document.")
    if isinstance(content, dict):
        wrong = [key for key, text in content.items() if document_id(text) != key]
        if wrong:
            _fail(f"{len(wrong)} id(s) do not match their document, e.g. {wrong[0]}")
    return {document_id(text): text for text in documents}


@main.group(help="Trusted documents of partner clients.")
def documents() -> None:
    pass


@documents.command(
    "register",
    help="Register a manifest's documents for a client of a tenant. "
    "MANIFEST: a JSON list of documents, or an object mapping "
    "sha256:<hex> ids to documents (the ids are checked).",
)
@click.argument("tenant")
@click.argument("client")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def documents_register(tenant: str, client: str, manifest: Path) -> None:
    from jobgraph.errors import JobgraphError

    texts = _manifest(manifest)
    settings = get_settings()

    async def register(sessions: Any) -> list[str]:
        from jobgraph.db.engine import bind_pool
        from jobgraph.identity import trusted_documents as trusted
        from jobgraph.identity.partners import actor_of_client

        registry = await _registry(sessions)
        found = registry.get(tenant)
        if found is None:
            known = ", ".join(site.slug for site in registry.tenants())
            raise ValueError(f"No tenant '{tenant}': the tenants are {known}.")
        async with sessions() as session, session.begin():
            bind_pool(session, found.pool_id)
            actor = await actor_of_client(session, found, client)
            return await trusted.register(session, found, actor, list(texts.values()), "cli")

    try:
        with provisioned_database(settings, _detail) as urls:
            ids = Steps(1).run(
                f"Registering {len(texts)} document(s) for {client} on {tenant}",
                lambda: _run(_with_app_engine(urls, settings, register)),
            )
    except JobgraphError as error:
        _fail(
            f"{error} CLIENT is a site key's id (a UUID: the console's site keys, or "
            "`{ siteKeys { id } }`) or an OAuth client's id (cl_...)."
        )
    except ValueError as error:
        _fail(error)
    for registered in ids:
        click.echo(registered)


@main.group(help="Job alerts for saved searches.")
def alerts() -> None:
    pass


@alerts.command(
    "run",
    help="Queue one digest per seeker of the postings new since each due "
    "saved search last ran (only with consent), then send the outbox.",
)
def alerts_run() -> None:
    settings = get_settings()

    async def run(sessions: Any) -> None:
        from jobgraph.jobs.alerts import run_alerts

        registry = await _registry(sessions)
        report = await run_alerts(sessions, registry)
        _detail(
            f"{report.searches} saved searches due, {report.digests} digests queued, "
            f"{report.without_consent} skipped for want of consent"
        )
        await _deliver(sessions, registry.pools(), settings)

    with provisioned_database(settings, _detail) as urls:
        Steps(1).run("Running job alerts", lambda: _run(_with_app_engine(urls, settings, run)))


@main.group(help="Webhooks: sending what endpoints subscribed to.")
def webhooks() -> None:
    pass


@webhooks.command(
    "deliver",
    help="Announce the postings that expired, and send the webhook deliveries due now, "
    "once (`jobgraph serve` does both every JOBGRAPH_WEBHOOKS_INTERVAL_S seconds by itself).",
)
def webhooks_deliver() -> None:
    settings = get_settings()

    async def run(sessions: Any) -> None:
        from jobgraph.graphql.services import webhook_hooks
        from jobgraph.jobs.postings import announce_expired
        from jobgraph.webhooks.delivery import deliver_due

        registry = await _registry(sessions)
        expired = await announce_expired(sessions, registry)
        _detail(f"{expired} expired postings announced")
        report = await deliver_due(
            sessions,
            registry,
            settings.secret_key,
            settings.webhooks_allow_private,
            webhook_hooks(),
        )
        _detail(
            f"{report.delivered} delivered, {report.retrying} to try again, "
            f"{report.failed} given up"
        )

    with provisioned_database(settings, _detail) as urls:
        Steps(1).run("Sending webhooks", lambda: _run(_with_app_engine(urls, settings, run)))


@main.group(help="Postings: keeping their information current.")
def postings() -> None:
    pass


@postings.command(
    "remind",
    help="Remind the companies of postings that leave search within a week for want of "
    "confirmation (sites with confirm_listings_every_days), then send the outbox.",
)
def postings_remind() -> None:
    settings = get_settings()

    async def run(sessions: Any) -> None:
        from jobgraph.jobs.postings import remind_unconfirmed

        registry = await _registry(sessions)
        queued = await remind_unconfirmed(sessions, registry)
        _detail(f"{queued} reminders queued")
        await _deliver(sessions, registry.pools(), settings)

    with provisioned_database(settings, _detail) as urls:
        Steps(1).run(
            "Reminding employers of postings to confirm",
            lambda: _run(_with_app_engine(urls, settings, run)),
        )


@main.group(help="Requests to seekers to keep their resume up to date.")
def reminders() -> None:
    pass


@reminders.command(
    "run",
    help="Queue a review request for each seeker whose resume has not "
    "changed for the tenant's period (only with consent), then "
    "send the outbox.",
)
def reminders_run() -> None:
    settings = get_settings()

    async def run(sessions: Any) -> None:
        from datetime import UTC, datetime

        from jobgraph.db.engine import bind_pool
        from jobgraph.policy.fields import DataUse
        from jobgraph.privacy.rights import queue_update_requests

        registry = await _registry(sessions)
        queued = 0
        for tenant in registry.tenants():
            if DataUse.UPDATE_REQUESTS not in tenant.config.policy.data_uses:
                continue
            async with sessions() as session, session.begin():
                bind_pool(session, tenant.pool_id)
                queued += await queue_update_requests(session, tenant, datetime.now(UTC))
        _detail(f"{queued} review requests queued")
        await _deliver(sessions, registry.pools(), settings)

    with provisioned_database(settings, _detail) as urls:
        Steps(1).run(
            "Asking seekers to review their resumes",
            lambda: _run(_with_app_engine(urls, settings, run)),
        )


@main.group(help="The notification outbox.")
def notifications() -> None:
    pass


@notifications.command("send", help="Send what is due in the outbox (retrying failures).")
def notifications_send() -> None:
    settings = get_settings()

    async def send(sessions: Any) -> None:
        await _deliver(sessions, (await _registry(sessions)).pools(), settings)

    with provisioned_database(settings, _detail) as urls:
        Steps(1).run("Sending the outbox", lambda: _run(_with_app_engine(urls, settings, send)))


async def _registry(sessions: Any) -> Any:
    from jobgraph.tenancy.registry import TenantRegistry

    async with sessions() as session:
        return await TenantRegistry.load(session)


async def _deliver(sessions: Any, pools: list[str], settings: Settings) -> None:
    from jobgraph.notifications.outbox import deliver
    from jobgraph.notifications.senders import sender_from

    report = await deliver(sessions, pools, sender_from(settings))
    _detail(
        f"sent {report.sent}, retrying {report.retrying}, failed {report.failed} "
        f"(sender: {settings.mail_sender})"
    )


@main.group(help="The keys that sign access tokens.")
def keys() -> None:
    pass


@keys.command(
    "rotate",
    help="Make a new signing key; older keys verify until their tokens "
    "expire, so nobody is signed out.",
)
def keys_rotate() -> None:
    settings = get_settings()

    async def rotate(sessions: Any) -> str:
        from jobgraph.identity.keys import KeyRing

        return await KeyRing(sessions, settings).rotate()

    with provisioned_database(settings, _detail) as urls:
        kid = Steps(1).run(
            "Rotating the signing key", lambda: _run(_with_app_engine(urls, settings, rotate))
        )
    click.echo(f"new signing key: {kid}")


@main.group(help="Platform operators (they act on every tenant).")
def operators() -> None:
    pass


@operators.command(
    "create",
    help="Create an operator, or set a new password for one; either way enrols a new "
    "second factor and shows it once (a QR code for an authenticator app, recovery codes).",
)
@click.argument("email")
@click.password_option(
    envvar="JOBGRAPH_OPERATOR_PASSWORD",
    help="Prompted for unless given (or JOBGRAPH_OPERATOR_PASSWORD).",
)
def operators_create(email: str, password: str) -> None:
    from jobgraph.errors import BadUserInput
    from jobgraph.identity.accounts import check_email, check_password

    try:
        check_password(password, check_email(email))
    except BadUserInput as error:
        _fail(error)
    settings = get_settings()

    async def create(sessions: Any) -> tuple[str, list[str]]:
        import pyotp
        from sqlalchemy import select

        from jobgraph.identity.emails import normalize_email
        from jobgraph.identity.models import Operator
        from jobgraph.identity.passwords import hash_password
        from jobgraph.identity.second_factor import enrol_now

        async with sessions() as session, session.begin():
            operator = await session.scalar(
                select(Operator).where(Operator.email_normalized == normalize_email(email))
            )
            if operator is None:
                operator = Operator(email_normalized=normalize_email(email))
                session.add(operator)
            operator.password_hash = hash_password(password)
            secret = pyotp.random_base32()
            return secret, enrol_now(operator, settings.secret_key, secret)

    with provisioned_database(settings, _detail) as urls:
        secret, recovery_codes = Steps(1).run(
            f"Saving operator {email}", lambda: _run(_with_app_engine(urls, settings, create))
        )
    _show_second_factor(email, secret, recovery_codes)


def _show_second_factor(email: str, secret: str, recovery_codes: list[str]) -> None:
    """An operator's new second factor, shown once: scan the QR code (or type the secret)
    into an authenticator app; keep the recovery codes somewhere safe."""
    from jobgraph.identity.second_factor import provisioning_uri, qr_code

    uri = provisioning_uri(secret, email, "jobgraph operators")
    click.echo("Second factor (operators sign in with its code): scan this with an app,")
    qr_code(uri).terminal(compact=True)
    click.echo(f"or type the secret {secret}.")
    click.echo("Recovery codes (each works once, instead of the app): " + " ".join(recovery_codes))


@main.group(help="The embedded PostgreSQL (used when DATABASE_URL is unset).")
def db() -> None:
    pass


@db.command("start", help="Start it and leave it running (`jobgraph db stop` stops it).")
def db_start() -> None:
    from jobgraph.db.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres(get_settings().data_dir)
    embedded.start()
    click.echo(embedded.url())


@db.command("stop", help="Stop it, whoever started it.")
def db_stop() -> None:
    from jobgraph.db.embedded import EmbeddedPostgres

    EmbeddedPostgres(get_settings().data_dir).force_stop()


@db.command("status", help="Say whether it runs, and its URL.")
def db_status() -> None:
    from jobgraph.db.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres(get_settings().data_dir)
    click.echo(f"{'running' if embedded.is_running() else 'stopped'}: {embedded.url()}")


@db.command("clean", help="Stop it and delete its data, wherever it is kept (`make clean`).")
def db_clean() -> None:
    from jobgraph.db.embedded import EmbeddedPostgres

    settings = get_settings()
    for name in ("postgres", "postgres-test", "postgres-bench"):
        embedded = EmbeddedPostgres(settings.data_dir, name)
        if embedded.pgdata.exists() or embedded.relocated is not None:
            click.echo(f"removing {embedded.pgdata}")
            embedded.remove()


@main.command("export-schema", help="Write the GraphQL SDL to schema.graphql (or a path).")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def export_schema(path: Path | None) -> None:
    from jobgraph.graphql.schema import schema_sdl
    from jobgraph.settings import PROJECT_ROOT

    target = path or PROJECT_ROOT / "schema.graphql"
    target.write_text(schema_sdl(), encoding="utf-8")
    click.echo(f"wrote {target}")


def _migrate(urls: DatabaseUrls, settings: Settings) -> None:
    from jobgraph.db.migrate import upgrade

    upgrade(urls.admin, settings.app_db_password)


async def _with_app_engine(
    urls: DatabaseUrls, settings: Settings, work: Callable[[Any], Awaitable[Any]]
) -> Any:
    from jobgraph import tables  # noqa: F401  every table, for the foreign keys between domains
    from jobgraph.db.engine import create_engine, session_factory

    engine = create_engine(urls.app, settings)
    try:
        return await work(session_factory(engine))
    finally:
        await engine.dispose()


async def _check_migrated(urls: DatabaseUrls, settings: Settings) -> None:
    from jobgraph.db.migrate import ensure_migrated

    async def check(sessions: Any) -> None:
        await ensure_migrated(sessions.kw["bind"])

    await _with_app_engine(urls, settings, check)


async def _sync(
    urls: DatabaseUrls, settings: Settings, directory: Path, force: bool = False, keep: bool = False
) -> Any:
    from jobgraph.graphql.services import tenancy_hooks
    from jobgraph.tenancy.files import load_tenant_dir
    from jobgraph.tenancy.sync import sync_tenants

    configs = load_tenant_dir(directory)

    async def sync(sessions: Any) -> Any:
        async with sessions() as session:
            report = await sync_tenants(
                session, configs, hooks=tenancy_hooks(), force=force, keep_api_changes=keep
            )
        _detail(str(report))
        return report

    return await _with_app_engine(urls, settings, sync)


async def _export(urls: DatabaseUrls, settings: Settings, directory: Path, hand_back: bool) -> None:
    from jobgraph.tenancy.sync import export_tenants

    async def export(sessions: Any) -> None:
        async with sessions() as session:
            written = await export_tenants(session, directory, hand_back=hand_back)
        _detail(f"wrote {', '.join(path.name for path in written)}")

    await _with_app_engine(urls, settings, export)


async def _demo(urls: DatabaseUrls, settings: Settings, scale: int, reset: bool) -> None:
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
            progress=_detail,
            applications=True,
        )

    await _with_app_engine(urls, settings, load)
