"""Changing a tenant's configuration: one path for admins, operators, `tenants sync` and
restores, so every change is validated the same way and lands in the history.

A change is a JSON merge patch (RFC 7386) over the tenant document the files use: the
keys are the file's keys, ``null`` puts a key back to its default. The result is checked
against the tenant schema (which carries the platform floor), against the main site for a
partner site, and against the partner sites for a main site; any problem rejects the whole
change. An accepted change bumps the tenant's version (and so the registry version every
process checks on its next request), writes a history row of who changed what from which
value to which, and applies tightened rules to the data already held."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.errors import BadUserInput, Conflict, NotFound
from jobgraph.policy.config import partner_excess
from jobgraph.tenancy.config import TenantConfig, located_problems, parent_problems
from jobgraph.tenancy.hooks import TenancyHooks
from jobgraph.tenancy.models import TenantConfigVersion, TenantHostnameRow, TenantRow
from jobgraph.tenancy.registry import Tenant

FILE = "FILE"
API = "API"
EVERY_TENANT = "*"
_CONFIGURE = text("SELECT set_config('jobgraph.configure', :scope, true)")


async def declare_scope(db: AsyncSession, scope: str) -> None:
    """Which tenant this transaction may change ('*': any), for PostgreSQL's row-level
    security on the registry (migration 0011): the second check behind the application's.
    Callers derive it from who is asking, never from the tenant a request names."""
    await db.execute(_CONFIGURE, {"scope": scope})


def config_document(config: TenantConfig) -> dict[str, Any]:
    return config.model_dump(mode="json")


def config_hash(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def same_settings(row: TenantRow, document: dict[str, Any]) -> bool:
    """Whether a stored tenant has these settings, also when it was stored before the
    schema gained keys (their defaults then apply to it too)."""
    if row.config_hash == config_hash(document):
        return True
    return config_document(TenantConfig.model_validate(row.config)) == document


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge key by key, null removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def leaves(document: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Each leaf of a configuration document with its path of keys (a list is one value,
    as an admin sets it; an empty table is a leaf)."""
    if isinstance(document, dict) and document:
        for key, value in document.items():
            yield from leaves(value, (*path, key))
    else:
        yield path, document


def changes_between(old: dict[str, Any] | None, new: dict[str, Any]) -> list[dict[str, Any]]:
    """Each key whose value differs, with its old and new value (lists are one value); for
    a new tenant, each key it starts with."""
    before = {".".join(path): value for path, value in leaves(old)} if old else {}
    after = {".".join(path): value for path, value in leaves(new)}
    return [
        {"key": key, "from": before.get(key), "to": after.get(key)}
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    ]


@dataclass(frozen=True)
class Problem:
    key: str
    rule: str


class RejectedChange(BadUserInput):
    """A change that breaks a rule; names every key and rule, and nothing was changed."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(
            f"{first.key}: {first.rule}{more}. Nothing was changed.",
            field=first.key,
            problems=[{"key": problem.key, "rule": problem.rule} for problem in problems],
        )


def validate_all_at_once(
    document: dict[str, Any], fallback: dict[str, Any] | None
) -> tuple[TenantConfig | None, list[Problem]]:
    """The config, or every problem of the document at once: the keys of the wrong type or
    range, and then the rules across keys (the platform floor) for the rest of the change,
    found by putting each refused key back as it was (``fallback``) and checking again.
    Without this, rules across keys would show only once the types are right."""
    try:
        return TenantConfig.model_validate(document), []
    except ValidationError as error:
        problems = [Problem(key, rule) for key, rule in located_problems(error)]
        refused = [detail["loc"] for detail in error.errors()]
    repaired = json.loads(json.dumps(document))
    for location in refused:
        _put_back(repaired, fallback or {}, location)
    try:
        config = TenantConfig.model_validate(repaired)
    except ValidationError as error:
        known = {(problem.key, problem.rule) for problem in problems}
        problems += [
            Problem(key, rule) for key, rule in located_problems(error) if (key, rule) not in known
        ]
        return None, problems
    return config, problems


def _put_back(
    document: dict[str, Any], fallback: dict[str, Any], location: tuple[Any, ...]
) -> None:
    """Set the key at ``location`` (up to its first list index) as ``fallback`` has it, or
    remove it if ``fallback`` has none."""
    path = []
    for part in location:
        if not isinstance(part, str):
            break
        path.append(part)
    if not path:
        return
    target: dict[str, Any] = document
    source: dict[str, Any] | None = fallback
    for part in path[:-1]:
        if not isinstance(target.get(part), dict):
            return
        target = target[part]
        source = source.get(part) if isinstance(source, dict) else None
    if isinstance(source, dict) and path[-1] in source:
        target[path[-1]] = source[path[-1]]
    else:
        target.pop(path[-1], None)


async def _family_problems(
    db: AsyncSession, config: TenantConfig, row: TenantRow | None
) -> list[Problem]:
    """Problems between a tenant and its parent or partner sites, and of hostnames."""
    problems: list[Problem] = []
    if row is not None and config.parent != row.parent_slug:
        problems.append(
            Problem(
                "parent",
                "moving a tenant to another pool would orphan its data (a tenant's main "
                "site cannot change); create a new tenant instead",
            )
        )
    parent = await db.get(TenantRow, config.parent) if config.parent else None
    parent_config = TenantConfig.model_validate(parent.config) if parent else None
    problems += [Problem(key, rule) for key, rule in parent_problems(config, parent_config)]
    partners = (
        await db.scalars(select(TenantRow).where(TenantRow.parent_slug == config.slug))
    ).all()
    for partner in partners:
        partner_policy = TenantConfig.model_validate(partner.config).policy
        for key, rule in partner_excess(partner_policy, config.policy):
            problems.append(
                Problem(
                    key,
                    f"partner site '{partner.slug}' allows more than this would ({rule}); "
                    f"tighten '{partner.slug}' first",
                )
            )
    taken = (
        await db.scalars(
            select(TenantHostnameRow).where(
                TenantHostnameRow.hostname.in_(config.hostnames),
                TenantHostnameRow.tenant_slug != config.slug,
            )
        )
    ).all()
    problems += [
        Problem("hostnames", f"'{taken_row.hostname}' is served by '{taken_row.tenant_slug}'")
        for taken_row in taken
    ]
    return problems


@dataclass(frozen=True)
class Applied:
    row: TenantRow
    changes: list[dict[str, Any]]
    resumes_changed: int = 0


async def apply(
    db: AsyncSession,
    document: dict[str, Any],
    *,
    hooks: TenancyHooks,
    actor: str,
    source: str,
    note: str | None = None,
    expected_version: int | None = None,
) -> Applied:
    """Validate ``document`` as a tenant's whole configuration and make it current, inside
    the caller's transaction; raises ``RejectedChange`` (nothing written), naming every
    problem at once, otherwise."""
    slug = document.get("slug")
    row = await db.get(TenantRow, slug, with_for_update=True) if isinstance(slug, str) else None
    if expected_version is not None and row is not None and row.version != expected_version:
        raise Conflict(
            f"'{row.slug}' changed since version {expected_version} (it is at version "
            f"{row.version}, by {await _last_actor(db, row)}); reload it and make your change "
            "again."
        )
    config, problems = validate_all_at_once(document, row.config if row is not None else None)
    if config is not None:
        problems += await _family_problems(db, config, row)
    if problems or config is None:
        raise RejectedChange(problems)
    new_document = config_document(config)
    old_document = row.config if row is not None else None
    changes = changes_between(old_document, new_document)
    if row is None:
        parent = await db.get(TenantRow, config.parent) if config.parent else None
        row = TenantRow(
            slug=config.slug,
            pool_id=parent.pool_id if parent else config.slug,
            parent_slug=config.parent,
            config=new_document,
            config_hash=config_hash(new_document),
            version=1,
            source=source,
        )
        db.add(row)
        await db.flush()
    elif changes:
        row.config = new_document
        row.config_hash = config_hash(new_document)
        row.version += 1
        row.source = source
    else:
        if row.config != new_document:
            # Same settings, stored before the schema gained a key with its default: keep
            # the normalised document, so the next comparison finds them equal.
            row.config = new_document
            row.config_hash = config_hash(new_document)
        return Applied(row, [])
    await db.execute(delete(TenantHostnameRow).where(TenantHostnameRow.tenant_slug == row.slug))
    await db.execute(
        insert(TenantHostnameRow),
        [{"hostname": hostname, "tenant_slug": row.slug} for hostname in config.hostnames],
    )
    db.add(
        TenantConfigVersion(
            tenant_slug=row.slug,
            version=row.version,
            config=new_document,
            source=source,
            actor=actor,
            changes=changes,
            note=note,
        )
    )
    await db.flush()
    resumes_changed = 0
    if old_document is not None:
        tenant = Tenant(row.slug, row.pool_id, row.version, config)
        await hooks.settings_changed(db, tenant)
        # A tightened policy applies to the data already held, in this same unit of work:
        # resumes leave the visibilities the site no longer offers. (Rules read at every
        # request, such as which fields an employer sees, need no change of data.)
        offered_before = TenantConfig.model_validate(old_document).policy.resume_visibilities
        withdrawn = sorted(set(offered_before) - set(config.policy.resume_visibilities))
        if withdrawn:
            resumes_changed = await hooks.withdraw_visibilities(db, tenant, withdrawn)
    return Applied(row, changes, resumes_changed)


async def _last_actor(db: AsyncSession, row: TenantRow) -> str:
    version = await db.get(TenantConfigVersion, (row.slug, row.version))
    return version.actor if version else "unknown"


async def current(db: AsyncSession, slug: str) -> TenantRow:
    row = await db.get(TenantRow, slug)
    if row is None:
        raise NotFound(f"There is no tenant '{slug}'.")
    return row


async def change(
    db: AsyncSession,
    slug: str,
    patch: dict[str, Any],
    *,
    hooks: TenancyHooks,
    actor: str,
    note: str | None = None,
    expected_version: int | None = None,
) -> Applied:
    row = await current(db, slug)
    document = merge_patch(row.config, patch)
    if document.get("slug") != slug:
        raise RejectedChange([Problem("slug", "a tenant's slug cannot change")])
    return await apply(
        db,
        document,
        hooks=hooks,
        actor=actor,
        source=API,
        note=note,
        expected_version=expected_version,
    )


async def create(
    db: AsyncSession, document: dict[str, Any], *, hooks: TenancyHooks, actor: str
) -> Applied:
    """A new tenant from a whole document; its slug must be new."""
    slug = document.get("slug")
    if isinstance(slug, str) and await db.get(TenantRow, slug) is not None:
        raise BadUserInput(f"A tenant '{slug}' exists already.", field="slug")
    return await apply(db, document, hooks=hooks, actor=actor, source=API, note="created")


async def history(db: AsyncSession, slug: str, limit: int) -> list[TenantConfigVersion]:
    await current(db, slug)
    rows = await db.scalars(
        select(TenantConfigVersion)
        .where(TenantConfigVersion.tenant_slug == slug)
        .order_by(TenantConfigVersion.version.desc())
        .limit(limit)
    )
    return list(rows.all())


async def restore(
    db: AsyncSession,
    slug: str,
    version: int,
    *,
    hooks: TenancyHooks,
    actor: str,
    note: str | None = None,
) -> Applied:
    """Make an earlier version current again, as a new version: the rules of today (the
    floor, the main site, the partner sites) still apply to it."""
    await current(db, slug)
    earlier = await db.get(TenantConfigVersion, (slug, version))
    if earlier is None:
        raise NotFound(f"'{slug}' has no version {version}.", field="version")
    return await apply(
        db,
        earlier.config,
        hooks=hooks,
        actor=actor,
        source=API,
        note=note or f"restored version {version}",
    )
