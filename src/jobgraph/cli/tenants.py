"""``jobgraph tenants``: the tenant files, validated, loaded and written back."""

from __future__ import annotations

from pathlib import Path

import click

from jobgraph.cli.base import (
    Steps,
    detail,
    export_files,
    fail,
    main,
    run_async,
    sync_files,
)
from jobgraph.db.provision import provisioned_database
from jobgraph.settings import get_settings


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
        fail(error)
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
        with provisioned_database(settings, detail) as urls:
            Steps(1).run(
                "Syncing tenant files",
                lambda: run_async(
                    sync_files(urls, settings, directory or settings.tenants_dir, force=force)
                ),
            )
    except TenantConfigError as error:
        fail(error)


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
    with provisioned_database(settings, detail) as urls:
        Steps(1).run(
            f"Exporting tenants to {target}",
            lambda: run_async(
                export_files(
                    urls, settings, target, target.resolve() == settings.tenants_dir.resolve()
                )
            ),
        )
