"""Loading tenant files into the database: idempotent, all or nothing.

Files and the admin API meet here, key by key. Each tenant remembers what its file said
when a sync last applied it (``TenantRow.file_config``), so a sync tells apart a key the
file's author edited since from one an admin changed through the API since: the file's
edits are applied, the site's changes are kept, and a key both changed (differently) is a
conflict that waits for a choice, ``take="file"`` or ``take="site"``. The server starting
applies what it can and keeps the site's value of each conflict, saying so; `jobgraph
tenants sync` refuses the whole directory until the choice is made."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import tomlkit
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.db.engine import in_pool
from jobgraph.tenancy import admin
from jobgraph.tenancy.config import TenantConfig
from jobgraph.tenancy.files import Problem, TenantConfigError, parse_tenant_file
from jobgraph.tenancy.hooks import TenancyHooks
from jobgraph.tenancy.models import TenantConfigVersion, TenantRow

Take = Literal["file", "site"]
CHOICE = (
    "choose with `jobgraph tenants sync --take-file` (the file's values) or "
    "`jobgraph tenants sync --take-site` (the site's)"
)
_MISSING = object()


@dataclass(frozen=True)
class SiteChange:
    """A key whose value on the site is not what its file says, and who set it there."""

    key: str
    file: Any
    site: Any
    changed_by: str  # "admin@example.jp at 2026-12-04 03:10 UTC (version 3)"

    def describe(self) -> str:
        return (
            f"the file says {_shown(self.file)}, the site says {_shown(self.site)} "
            f"(set by {self.changed_by})"
        )


@dataclass
class Reconciled:
    """One tenant's file met with its site: the document the site becomes, what to remember
    as the file's last applied version, and each key the two disagree on."""

    document: dict[str, Any]
    file_base: dict[str, Any]
    from_file: list[str] = field(default_factory=list)
    kept: list[SiteChange] = field(default_factory=list)  # changed on the site only
    conflicts: list[SiteChange] = field(default_factory=list)  # changed on both


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # Tenants whose site keeps changes (or conflicts) the file does not have.
    reconciled: dict[str, Reconciled] = field(default_factory=dict)

    @property
    def kept(self) -> list[str]:
        return sorted(self.reconciled)

    def __str__(self) -> str:
        parts = [
            f"{label}: {', '.join(slugs)}"
            for label, slugs in (
                ("created", self.created),
                ("updated", self.updated),
                ("unchanged", self.unchanged),
            )
            if slugs
        ]
        lines = ["; ".join(parts) or "no tenants"]
        for slug, reconciled in sorted(self.reconciled.items()):
            lines += [
                f"{slug}.toml: {change.key}: kept the site's value: {change.describe()}; "
                "`jobgraph tenants export` writes it into the file"
                for change in reconciled.kept
            ]
            lines += [
                f"{slug}.toml: {change.key}: CONFLICT, the file's edit is not applied: "
                f"{change.describe()}; {CHOICE}"
                for change in reconciled.conflicts
            ]
        return "\n".join(lines)


async def sync_tenants(
    session: AsyncSession,
    configs: list[TenantConfig],
    *,
    hooks: TenancyHooks,
    take: Take | None = None,
    at_start: bool = False,
) -> SyncReport:
    """Write validated configs (parents first) to the registry in one transaction, each
    reconciled with its site key by key (see the module). A conflict without ``take`` is an
    error, or ``at_start`` (the server starting) left at the site's value and reported."""
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
                row.file_config = document
                continue
            reconciled = (
                await reconcile(session, row, document, hooks, take)
                if row is not None
                else Reconciled(document, document)
            )
            if reconciled.conflicts and not at_start:
                problems += [
                    Problem(file, change.key, f"{change.describe()} since the file was last "
                            f"applied; {CHOICE}")
                    for change in reconciled.conflicts
                ]  # fmt: skip
                continue
            if reconciled.kept or reconciled.conflicts:
                report.reconciled[config.slug] = reconciled
            try:
                async with session.begin_nested():
                    applied = await admin.apply(
                        session,
                        reconciled.document,
                        hooks=hooks,
                        actor=f"file:{file}",
                        source=admin.FILE,
                    )
            except admin.RejectedChange as rejected:
                problems += [
                    Problem(file, item["key"], item["rule"])
                    for item in rejected.extensions["problems"]
                ]
                continue
            applied.row.file_config = reconciled.file_base
            if row is None:
                report.created.append(config.slug)
            elif applied.changes:
                report.updated.append(config.slug)
            else:
                report.unchanged.append(config.slug)
        if problems:
            raise TenantConfigError(problems)
    return report


async def reconcile(
    db: AsyncSession,
    row: TenantRow,
    file: dict[str, Any],
    hooks: TenancyHooks,
    take: Take | None = None,
) -> Reconciled:
    """``file`` (a tenant file's whole document) met with the site's current version, key by
    key, from the file's last applied version: a key only the file changed takes the file's
    value, one only the site changed keeps the site's, one both changed differently is a
    conflict that ``take`` settles (unsettled, it keeps the site's value, and the file's
    base keeps the old value so that the next sync finds the conflict again)."""
    site = admin.config_document(TenantConfig.model_validate(row.config))
    base = await _file_base(db, row)
    base_leaves, file_leaves, site_leaves = (
        dict(admin.leaves(document)) if document is not None else None
        for document in (base, file, site)
    )
    assert file_leaves is not None and site_leaves is not None
    reconciled = Reconciled(document=site, file_base=copy.deepcopy(file))
    disputed: dict[tuple[str, ...], str] = {}
    for path in sorted(file_leaves.keys() | site_leaves.keys()):
        in_file, on_site = file_leaves.get(path, _MISSING), site_leaves.get(path, _MISSING)
        if in_file == on_site:
            continue
        before = base_leaves.get(path, _MISSING) if base_leaves is not None else _MISSING
        key = ".".join(path)
        if base_leaves is not None and on_site == before:
            reconciled.from_file.append(key)
            _set_leaf(reconciled.document, path, in_file)
        elif base_leaves is not None and in_file == before:
            disputed[path] = "kept"
        elif take == "file":
            reconciled.from_file.append(key)
            _set_leaf(reconciled.document, path, in_file)
        elif take == "site":
            continue  # the file's value is dropped knowingly: its base becomes the file's
        else:
            disputed[path] = "conflict"
            _set_leaf(reconciled.file_base, path, before)
    if disputed:
        changed_by = await _who_changed(db, row, {".".join(path) for path in disputed}, hooks)
        for path, kind in disputed.items():
            key = ".".join(path)
            change = SiteChange(
                key,
                file_leaves.get(path),
                site_leaves.get(path),
                changed_by.get(key, "an earlier version"),
            )
            (reconciled.kept if kind == "kept" else reconciled.conflicts).append(change)
    return reconciled


async def _file_base(db: AsyncSession, row: TenantRow) -> dict[str, Any] | None:
    """What the tenant's file said when last applied; for a tenant synced before that was
    remembered, its current version if that came from the file, else the last version
    that did; None for a tenant no file ever set (every difference is then a conflict)."""
    base: dict[str, Any] | None
    if row.file_config is not None:
        base = row.file_config
    elif row.source == admin.FILE:
        base = row.config
    else:
        base = await db.scalar(
            select(TenantConfigVersion.config)
            .where(
                TenantConfigVersion.tenant_slug == row.slug,
                TenantConfigVersion.source == admin.FILE,
            )
            .order_by(TenantConfigVersion.version.desc())
            .limit(1)
        )
    if base is None:
        return None
    try:  # a key the model gained since has its default in it, as on the site
        return admin.config_document(TenantConfig.model_validate(base))
    except ValidationError:
        return dict(base)


async def _who_changed(
    db: AsyncSession, row: TenantRow, keys: set[str], hooks: TenancyHooks
) -> dict[str, str]:
    """Who last changed each of ``keys`` (by e-mail address where the actor has one),
    when, and in which version."""
    versions = await db.scalars(
        select(TenantConfigVersion)
        .where(TenantConfigVersion.tenant_slug == row.slug)
        .order_by(TenantConfigVersion.version.desc())
    )
    last: dict[str, TenantConfigVersion] = {}
    for version in versions:
        for change in version.changes:
            last.setdefault(change["key"], version)
        if keys <= last.keys():
            break
    async with in_pool(db, row.pool_id):  # accounts are the pool's data
        names = await hooks.actor_names(db, [version.actor for version in last.values()])
    return {
        key: f"{names.get(version.actor, version.actor)} at {version.created_at:%Y-%m-%d %H:%M} "
        f"UTC (version {version.version})"
        for key, version in last.items()
        if key in keys
    }


def _set_leaf(document: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        inner = document.get(key)
        if not isinstance(inner, dict):
            inner = document[key] = {}
        document = inner
    if value is _MISSING:
        document.pop(path[-1], None)
    else:
        document[path[-1]] = value


def _shown(value: Any) -> str:
    return "nothing" if value is None else repr(value)


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


async def export_tenants(
    session: AsyncSession,
    directory: Path,
    *,
    hooks: TenancyHooks,
    hand_back: bool,
    take_site: bool = False,
) -> list[Path]:
    """Write every tenant's current version to ``directory/<slug>.toml``. With
    ``hand_back`` (``directory`` is the tenants directory the server syncs from), the
    files are the tenants' files again, and an export that would overwrite a file's edit
    not yet applied to its site is refused (naming each key) unless ``take_site``; a copy
    written elsewhere changes nothing."""
    async with session.begin():
        await admin.declare_scope(session, admin.EVERY_TENANT)
        rows = (await session.scalars(select(TenantRow).order_by(TenantRow.slug))).all()
        if hand_back and not take_site:
            problems = [
                problem
                for row in rows
                for problem in await _unapplied_edits(session, row, directory, hooks)
            ]
            if problems:
                raise TenantConfigError(problems)
        written = write_tenant_files(
            [TenantConfig.model_validate(row.config) for row in rows], directory
        )
        if hand_back:
            for row in rows:
                row.source = admin.FILE
                row.file_config = admin.config_document(TenantConfig.model_validate(row.config))
    return written


async def _unapplied_edits(
    session: AsyncSession, row: TenantRow, directory: Path, hooks: TenancyHooks
) -> list[Problem]:
    """The edits of ``row``'s file in ``directory`` that its site does not have (keys the
    file changed since it was last applied), which an export would overwrite."""
    path = directory / f"{row.slug}.toml"
    if not path.exists():
        return []
    config, problems = parse_tenant_file(path)
    if config is None:
        return [
            Problem(p.file, p.key, f"{p.message} (mend the file, or move it away, to export)")
            for p in problems
        ]
    reconciled = await reconcile(session, row, admin.config_document(config), hooks)
    return [
        Problem(
            path.name,
            key,
            "the file's edit is not applied to the site yet; run `jobgraph tenants sync` "
            "to apply it first, or `jobgraph tenants export --take-site` to overwrite it",
        )
        for key in reconciled.from_file
    ] + [
        Problem(path.name, change.key, f"{change.describe()}; {CHOICE}, or `jobgraph tenants "
                "export --take-site` to overwrite the file's value")
        for change in reconciled.conflicts
    ]  # fmt: skip


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
