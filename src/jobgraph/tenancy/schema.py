"""Tenant administration in the schema: tenant admins change their own site's branding and
policies, operators any tenant's whole configuration; everyone with access sees the
history and restores earlier versions. The rules live in ``admin.py``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON

from jobgraph.errors import BadUserInput, Forbidden
from jobgraph.fields import Info
from jobgraph.paging import page_size
from jobgraph.permissions import Operator, TenantRead, staff
from jobgraph.policy.staff import Power
from jobgraph.tenancy import admin
from jobgraph.tenancy.inputs import BrandingInput
from jobgraph.tenancy.types import (
    Tenant,
    TenantChange,
    TenantSettings,
    TenantVersion,
)


def _target(info: Info, slug: str | None) -> str:
    """The tenant a call is about: an admin's own site; any tenant for an operator."""
    context = info.context
    if slug is None or slug == context.tenant.slug:
        return context.tenant.slug
    if not context.viewer.is_operator:
        raise Forbidden(
            f"You administer '{context.tenant.slug}' only; another tenant's settings "
            "are for its own admins and platform operators."
        )
    return slug


@contextlib.asynccontextmanager
async def _configuring(info: Info) -> AsyncIterator[AsyncSession]:
    """A transaction that PostgreSQL lets change only the viewer's own tenant (any, for an
    operator), whatever tenant the call names."""
    context = info.context
    async with context.transaction() as db:
        viewer = context.viewer
        await admin.declare_scope(
            db, admin.EVERY_TENANT if viewer.is_operator else context.tenant.slug
        )
        yield db


def _patch_of(changes: JSON, name: str) -> dict[str, Any]:
    if not isinstance(changes, dict) or not changes:
        raise BadUserInput(
            f"{name} must be a non-empty object of keys to change, as in the tenant file "
            '(e.g. {"api": {"max_page_size": 20}}).',
            field=name,
        )
    return changes


@strawberry.type
class TenantQuery:
    @strawberry.field(
        description="The tenant this request is for (from its Host or X-Tenant).",
        permission_classes=[TenantRead],
    )
    def tenant(self, info: Info) -> Tenant:
        return Tenant.of(info.context.tenant)


@strawberry.type
class TenantAdminQuery:
    @strawberry.field(
        permission_classes=[staff(Power.CONFIGURE_SITE)],
        description="A tenant's current configuration (default: this request's tenant).",
    )
    async def tenant_settings(self, info: Info, slug: str | None = None) -> TenantSettings:
        return TenantSettings.of(await admin.current(info.context.db, _target(info, slug)))

    @strawberry.field(
        permission_classes=[staff(Power.CONFIGURE_SITE)],
        description="A tenant's configuration versions, newest first.",
    )
    async def tenant_history(
        self, info: Info, slug: str | None = None, first: int = 20
    ) -> list[TenantVersion]:
        size = page_size(info.context.tenant.max_page_size, first)
        rows = await admin.history(info.context.db, _target(info, slug), size)
        actors = [row.actor for row in rows]
        names = await info.context.services.tenancy_hooks.actor_names(info.context.db, actors)
        return [TenantVersion.of(row, names) for row in rows]


@strawberry.type
class TenantAdminMutation:
    @strawberry.mutation(
        permission_classes=[staff(Power.CONFIGURE_SITE)],
        description="Change a tenant's branding; applies from the next request on.",
    )
    async def update_tenant_branding(
        self,
        info: Info,
        branding: BrandingInput,
        slug: str | None = None,
        expected_version: int | None = None,
        note: str | None = None,
    ) -> TenantChange:
        patch = {
            key: value
            for key, value in strawberry.asdict(branding).items()
            if value is not strawberry.UNSET
        }
        return await _change(info, slug, {"branding": patch}, expected_version, note)

    @strawberry.mutation(
        permission_classes=[staff(Power.CONFIGURE_SITE)],
        description="Change a tenant's policy with a JSON merge patch over the [policy] "
        'table of its file (e.g. {"resume_visibilities": ["PRIVATE"]}; null '
        "restores a key's default). Checked against the platform floor, the main "
        "site and the partner sites; applies from the next request on, and to "
        "data already held.",
    )
    async def update_tenant_policy(
        self,
        info: Info,
        changes: JSON,
        slug: str | None = None,
        expected_version: int | None = None,
        note: str | None = None,
    ) -> TenantChange:
        patch = {"policy": _patch_of(changes, "changes")}
        return await _change(info, slug, patch, expected_version, note)

    @strawberry.mutation(
        permission_classes=[staff(Power.CONFIGURE_SITE)],
        description="Make an earlier version current again (as a new version).",
    )
    async def restore_tenant_version(
        self, info: Info, version: int, slug: str | None = None, note: str | None = None
    ) -> TenantChange:
        context = info.context
        async with _configuring(info) as db:
            applied = await admin.restore(
                db,
                _target(info, slug),
                version,
                hooks=context.services.tenancy_hooks,
                actor=context.viewer.actor,
                note=note,
            )
        return TenantChange.of(applied)

    @strawberry.mutation(
        permission_classes=[Operator],
        description="Operators: change any key of a tenant (name, hostnames, auth, …) "
        "with a JSON merge patch over its whole file.",
    )
    async def update_tenant(
        self,
        info: Info,
        slug: str,
        changes: JSON,
        expected_version: int | None = None,
        note: str | None = None,
    ) -> TenantChange:
        return await _change(info, slug, _patch_of(changes, "changes"), expected_version, note)

    @strawberry.mutation(
        permission_classes=[Operator],
        description="Operators: create a main site, or a partner site (with parent), from "
        "a whole tenant document (the file's keys).",
    )
    async def create_tenant(self, info: Info, config: JSON) -> TenantChange:
        document = _patch_of(config, "config")
        context = info.context
        async with _configuring(info) as db:
            applied = await admin.create(
                db, document, hooks=context.services.tenancy_hooks, actor=context.viewer.actor
            )
        return TenantChange.of(applied)


async def _change(
    info: Info,
    slug: str | None,
    patch: dict[str, Any],
    expected_version: int | None,
    note: str | None,
) -> TenantChange:
    context = info.context
    target = _target(info, slug)
    if note is not None and len(note) > 500:
        raise BadUserInput("note must have at most 500 characters.", field="note")
    async with _configuring(info) as db:
        applied = await admin.change(
            db,
            target,
            patch,
            hooks=context.services.tenancy_hooks,
            actor=context.viewer.actor,
            note=note,
            expected_version=expected_version,
        )
    return TenantChange.of(applied)
