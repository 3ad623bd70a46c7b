"""Loading tenant files into the database: idempotent, all or nothing.

Files and the admin API meet here. A tenant whose current version came from the API is
not overwritten by its file unless forced: `jobgraph tenants export` writes the current
versions back to files first (and hands the tenant back to its file)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.tenancy import admin
from jobgraph.tenancy.config import TenantConfig
from jobgraph.tenancy.files import Problem, TenantConfigError
from jobgraph.tenancy.hooks import TenancyHooks
from jobgraph.tenancy.models import TenantConfigVersion, TenantRow


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # Tenants whose newer API version was kept over their file (when the server starts).
    kept: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [
            f"{label}: {', '.join(slugs)}"
            for label, slugs in (
                ("created", self.created),
                ("updated", self.updated),
                ("unchanged", self.unchanged),
                ("kept newer API version (run `jobgraph tenants export`)", self.kept),
            )
            if slugs
        ]
        return "; ".join(parts) or "no tenants"


async def sync_tenants(
    session: AsyncSession,
    configs: list[TenantConfig],
    *,
    hooks: TenancyHooks,
    force: bool = False,
    keep_api_changes: bool = False,
) -> SyncReport:
    """Write validated configs (parents first) to the registry in one transaction. A
    tenant changed through the API since its file was loaded is an error, or with
    ``keep_api_changes`` (the server starting) kept as it is, or with ``force`` overwritten."""
    report = SyncReport()
    async with session.begin():
        await admin.declare_scope(session, admin.EVERY_TENANT)
        existing = {row.slug: row for row in (await session.scalars(select(TenantRow))).all()}
        problems: list[Problem] = []
        for config in configs:
            file = f"{config.slug}.toml"
            document = admin.config_document(config)
            row = existing.get(config.slug)
            if row is not None and admin.same_settings(row, document):
                report.unchanged.append(config.slug)
                continue
            if row is not None and row.source == admin.API and not force:
                if keep_api_changes:
                    report.kept.append(config.slug)
                    continue
                changed_by = await session.get(TenantConfigVersion, (row.slug, row.version))
                problems.append(
                    Problem(
                        file,
                        "(tenant)",
                        f"version {row.version} was changed through the API"
                        f"{f' by {changed_by.actor}' if changed_by else ''} after this file "
                        "was loaded; run `jobgraph tenants export` to bring it into the "
                        "files, or `jobgraph tenants sync --force` to overwrite it",
                    )
                )
                continue
            try:
                async with session.begin_nested():
                    applied = await admin.apply(
                        session, document, hooks=hooks, actor=f"file:{file}", source=admin.FILE
                    )
            except admin.RejectedChange as rejected:
                problems += [
                    Problem(file, item["key"], item["rule"])
                    for item in rejected.extensions["problems"]
                ]
                continue
            if row is None:
                report.created.append(config.slug)
            elif applied.changes:
                report.updated.append(config.slug)
            else:
                report.unchanged.append(config.slug)
        if problems:
            raise TenantConfigError(problems)
    return report


def tenant_file_text(config: TenantConfig, existing: str | None = None) -> str:
    """A tenant file with the keys that differ from their defaults (what a person writes).
    Over an ``existing`` file, its comments and layout are kept: only changed keys are
    rewritten, and keys back at their default are removed."""
    document = config.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    if existing is None:
        return tomlkit.dumps(document)
    kept = tomlkit.parse(existing)
    _carry_over(kept, document, config.model_dump(mode="json", exclude_none=True))
    return tomlkit.dumps(kept)


def _carry_over(kept: Any, document: dict[str, Any], full: dict[str, Any]) -> None:
    """Make ``kept`` say what ``document`` says; a key the file spells out at its default
    value (``full``) stays as written."""
    for key in list(kept):
        if key in document:
            continue
        if isinstance(kept[key], dict) and isinstance(full.get(key), dict):
            _carry_over(kept[key], {}, full[key])  # a table left at its defaults
            if not kept[key]:
                del kept[key]
        elif _plain(kept[key]) != full.get(key):
            del kept[key]
    for key, value in document.items():
        current = kept.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            _carry_over(current, value, full.get(key) or {})
        elif current is None or _plain(current) != value:
            kept[key] = value


def _plain(item: Any) -> Any:
    return item.unwrap() if hasattr(item, "unwrap") else item


async def export_tenants(session: AsyncSession, directory: Path, *, hand_back: bool) -> list[Path]:
    """Write every tenant's current version to ``directory/<slug>.toml``. With
    ``hand_back`` (``directory`` is the tenants directory the server syncs from), the
    tenants are managed by their files again; a copy written elsewhere changes nothing,
    so a later sync of the unchanged tenant files still refuses to undo API changes."""
    async with session.begin():
        await admin.declare_scope(session, admin.EVERY_TENANT)
        rows = (await session.scalars(select(TenantRow).order_by(TenantRow.slug))).all()
        written = write_tenant_files(
            [TenantConfig.model_validate(row.config) for row in rows], directory
        )
        if hand_back:
            await session.execute(update(TenantRow).values(source=admin.FILE))
    return written


def write_tenant_files(configs: list[TenantConfig], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for config in configs:
        path = directory / f"{config.slug}.toml"
        existing = path.read_text(encoding="utf-8") if path.exists() else None
        temporary = path.with_suffix(".toml.tmp")
        temporary.write_text(tenant_file_text(config, existing), encoding="utf-8")
        temporary.replace(path)
        written.append(path)
    return written
