"""``jobgraph serve``: the server, its processes and how uvicorn runs them."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import threading
import time
from typing import Any

import click

from jobgraph.cli.base import (
    Steps,
    check_migrated,
    detail,
    fail,
    load_demo_data,
    main,
    migrate_database,
    run_async,
    sync_files,
)
from jobgraph.db.provision import provisioned_database
from jobgraph.settings import Settings, get_settings


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
        fail(problem)
    steps = Steps(2 + sync_tenants + demo)
    try:
        with contextlib.ExitStack() as stack:
            urls = steps.run(
                "Starting the database",
                lambda: stack.enter_context(provisioned_database(settings, detail)),
            )
            if migrate:
                steps.run("Migrating", lambda: migrate_database(urls, settings))
            else:
                steps.run("Checking migrations", lambda: run_async(check_migrated(urls, settings)))
            if sync_tenants:
                steps.run(
                    f"Syncing tenant files from {settings.tenants_dir}",
                    lambda: run_async(
                        sync_files(urls, settings, settings.tenants_dir, at_start=True)
                    ),
                )
            if demo:
                steps.run(
                    "Loading demo data", lambda: run_async(load_demo_data(urls, settings, 1, False))
                )
            click.echo(
                f"Serving on {bind_host}:{bind_port} with {workers} "
                f"process{'es' if workers > 1 else ''} (Ctrl-C stops the server"
                f"{' and its embedded database' if not settings.database_url else ''})"
            )
            where_to_start = _where_to_start(settings, bind_port, demo)
            # uvicorn shuts down gracefully on SIGTERM, then raises the signal again with the
            # handler it found: make that an orderly exit, so the embedded database stops too.
            signal.signal(signal.SIGTERM, _exit_quietly)
            options = server_options(settings) | {
                "host": bind_host,
                "port": bind_port,
                "log_level": settings.log_level.lower(),
            }
            if workers == 1:
                app = create_app(settings, urls, warm=True)
                tune_collector()
                threading.Thread(
                    target=_announce_when_up,
                    args=(bind_host, bind_port, where_to_start),
                    daemon=True,
                ).start()
                uvicorn.run(app, **options)
            else:
                # Each worker process builds its own app, with the database this one
                # started; uvicorn's supervisor stops them all on SIGTERM or Ctrl-C.
                os.environ[WORKER_URLS] = json.dumps(dataclasses.asdict(urls))
                _supervise_workers(workers, options, where_to_start)
    except NotMigratedError as error:
        fail(error)
    except Exception as error:
        from jobgraph.db.embedded import EmbeddedPostgresError
        from jobgraph.tenancy.files import TenantConfigError

        if isinstance(error, (TenantConfigError, EmbeddedPostgresError)):
            fail(error)
        raise


# How long `serve` waits for its workers to start before it stops saying when they are up.
WORKERS_START_WITHIN_S = 120


def _supervise_workers(workers: int, options: dict[str, Any], when_up: str) -> None:
    """uvicorn's supervisor of ``workers`` processes (what ``uvicorn.run`` starts for
    them), each listening on a socket of its own where the kernel spreads connections over
    them (``serving.workers_socket``); ``when_up`` printed once every one serves. Until
    then the kernel gives every connection to the workers already listening, so a client
    that opens its connections at once (a benchmark's) waits for this line."""
    from uvicorn import Config
    from uvicorn.supervisors import Multiprocess

    from jobgraph.serving import workers_socket

    class Workers(Multiprocess):
        def init_processes(self) -> None:
            super().init_processes()
            deadline = time.monotonic() + WORKERS_START_WITHIN_S
            for process in self.processes:
                # A second at a time: a signal meanwhile (Ctrl-C, SIGTERM) is for the
                # supervisor's loop to handle, a dead or slow worker for it to restart.
                while not process.wait_until_ready(1, self.should_exit):
                    if (
                        self.signal_queue
                        or not process.process.is_alive()
                        or time.monotonic() > deadline
                    ):
                        return
            click.echo(when_up)

    config = Config("jobgraph.app:worker_app", factory=True, workers=workers, **options)
    try:
        sock = workers_socket(config.host, config.port)
    except OSError as error:
        fail(f"Cannot listen on {config.host}:{config.port}: {error.strerror or error}.")
    with contextlib.suppress(KeyboardInterrupt):
        Workers(config, sockets=[sock]).run()


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
