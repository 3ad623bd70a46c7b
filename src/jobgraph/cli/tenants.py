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
    help="Validate the tenant files and load them (idempotent, all or nothing), key by key: "
    "a key the file changed since it was last loaded takes the file's value, a key changed "
    "through the API since keeps the site's (listed, with who changed it and when), and a "
    "key both changed stops the sync until you choose --take-file or --take-site.",
)
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option(
    "--take-file",
    "take",
    flag_value="file",
    help="Where the file and the API both changed a key, apply the file's value.",
)
@click.option(
    "--take-site",
    "take",
    flag_value="site",
    help="Where the file and the API both changed a key, keep the site's value (the file's "
    "edit is dropped; `jobgraph tenants export` then writes the site's value into the file).",
)
def tenants_sync(directory: Path | None, take: str | None) -> None:
    from jobgraph.tenancy.files import TenantConfigError

    settings = get_settings()
    try:
        with provisioned_database(settings, detail) as urls:
            Steps(1).run(
                "Syncing tenant files",
                lambda: run_async(
                    sync_files(urls, settings, directory or settings.tenants_dir, take=take)
                ),
            )
    except TenantConfigError as error:
        fail(error)


@tenants.command(
    "export",
    help="Write every tenant's current configuration (API changes included) to its file in "
    "DIRECTORY (default: the tenants directory, whose files then manage those tenants "
    "again; a copy elsewhere changes nothing). An edit of a tenant file not yet loaded is "
    "never overwritten: the export stops, naming it, unless --take-site.",
)
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option(
    "--take-site",
    is_flag=True,
    help="Overwrite tenant files' edits not yet loaded with the sites' current values.",
)
def tenants_export(directory: Path | None, take_site: bool) -> None:
    from jobgraph.tenancy.files import TenantConfigError

    settings = get_settings()
    target = directory or settings.tenants_dir
    hand_back = target.resolve() == settings.tenants_dir.resolve()
    try:
        with provisioned_database(settings, detail) as urls:
            Steps(1).run(
                f"Exporting tenants to {target}",
                lambda: run_async(export_files(urls, settings, target, hand_back, take_site)),
            )
    except TenantConfigError as error:
        fail(error)
