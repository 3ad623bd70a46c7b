"""The database: migrations, the embedded PostgreSQL, the demo data, the schema file."""

from __future__ import annotations

from pathlib import Path

import click

from jobgraph.cli.base import (
    Steps,
    detail,
    load_demo_data,
    main,
    migrate_database,
    run_async,
)
from jobgraph.db.provision import provisioned_database
from jobgraph.settings import get_settings


@main.command(help="Apply all pending migrations.")
def migrate() -> None:
    settings = get_settings()
    with provisioned_database(settings, detail) as urls:
        Steps(1).run("Migrating", lambda: migrate_database(urls, settings))


@main.command(help="Load the deterministic demo data set (companies, postings, seekers).")
@click.option("--scale", default=1, show_default=True, help="Multiply every count by this.")
@click.option("--reset", is_flag=True, help="Delete the demo pools' data first.")
def demo(scale: int, reset: bool) -> None:
    settings = get_settings()
    with provisioned_database(settings, detail) as urls:
        Steps(1).run(
            "Loading demo data", lambda: run_async(load_demo_data(urls, settings, scale, reset))
        )


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
    benches = sorted(path.name for path in settings.data_dir.glob("postgres-bench-*"))
    for name in ("postgres", "postgres-test", "postgres-bench", *benches):
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
