"""Partner-site credentials: public site keys for browser pages, and confidential OAuth
clients for partner servers. A client secret is shown once, when it is created, and stored
only as a digest."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.errors import BadUserInput, NotFound
from jobgraph.identity.models import OAuthClient, SiteKey
from jobgraph.identity.tokens import new_opaque_secret, secret_digest
from jobgraph.tenancy.registry import Tenant
from jobgraph.viewer import Scope, Viewer


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise BadUserInput("The name must have 1 to 100 characters.", field="name")
    return name


async def create_site_key(db: AsyncSession, tenant: Tenant, viewer: Viewer, name: str) -> SiteKey:
    row = SiteKey(
        pool_id=tenant.pool_id,
        tenant_slug=tenant.slug,
        id=uuid.uuid4(),
        name=_check_name(name),
        key=f"pk_{secrets.token_urlsafe(24)}",
        created_by=viewer.actor,
    )
    db.add(row)
    await db.flush()
    return row


async def create_client(
    db: AsyncSession, tenant: Tenant, viewer: Viewer, name: str, scopes: list[Scope]
) -> tuple[OAuthClient, str]:
    if not scopes:
        raise BadUserInput("Give the client at least one scope.", field="scopes")
    secret = new_opaque_secret("cs")
    row = OAuthClient(
        pool_id=tenant.pool_id,
        tenant_slug=tenant.slug,
        id=uuid.uuid4(),
        name=_check_name(name),
        client_id=f"cl_{secrets.token_urlsafe(12)}",
        secret_hash=secret_digest(secret),
        scopes=sorted({str(scope) for scope in scopes}),
        created_by=viewer.actor,
    )
    db.add(row)
    await db.flush()
    return row, secret


# A site's credential: its site keys and its partner-server clients are kept alike.
Credential = TypeVar("Credential", SiteKey, OAuthClient)


async def list_of(db: AsyncSession, model: type[Credential], tenant: Tenant) -> list[Credential]:
    return list(
        (
            await db.scalars(
                select(model).where(model.tenant_slug == tenant.slug).order_by(model.created_at)
            )
        ).all()
    )


async def revoke(
    db: AsyncSession, model: type[Credential], tenant: Tenant, row_id: uuid.UUID
) -> Credential:
    row = await db.scalar(select(model).where(model.id == row_id, model.tenant_slug == tenant.slug))
    if row is None:
        raise NotFound(f"No {'site key' if model is SiteKey else 'client'} {row_id} on this site.")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
    return row


async def active_site_key(db: AsyncSession, tenant: Tenant, key: str) -> SiteKey | None:
    return await db.scalar(
        select(SiteKey).where(
            SiteKey.key == key, SiteKey.tenant_slug == tenant.slug, SiteKey.revoked_at.is_(None)
        )
    )


async def active_client(db: AsyncSession, tenant: Tenant, client_id: str) -> OAuthClient | None:
    return await db.scalar(
        select(OAuthClient).where(
            OAuthClient.client_id == client_id,
            OAuthClient.tenant_slug == tenant.slug,
            OAuthClient.revoked_at.is_(None),
        )
    )


async def actor_of_client(db: AsyncSession, tenant: Tenant, client: str) -> str:
    """How a site key (by id) or an OAuth client (by client id) appears as a viewer."""
    if client.startswith("cl_"):
        if await active_client(db, tenant, client) is not None:
            return f"client:{client}"
    else:
        try:
            key_id = uuid.UUID(client)
        except ValueError:
            key_id = None
        if (
            key_id is not None
            and await db.scalar(
                select(SiteKey.id).where(
                    SiteKey.id == key_id,
                    SiteKey.tenant_slug == tenant.slug,
                    SiteKey.revoked_at.is_(None),
                )
            )
            is not None
        ):
            return f"site-key:{key_id}"
    raise NotFound(f"No active site key or client '{client}' on this site.")
