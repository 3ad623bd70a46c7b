"""What an account may do on a site, read from the database: whether its session is live,
whether it administers the site, and which companies it acts for there. The HTTP edge
builds each request's ``Viewer`` with it; the policy's dry run builds another person's."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, delete, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.errors import Unauthenticated
from jobgraph.identity.models import TenantAdmin
from jobgraph.tenancy.feed import company_present_on
from jobgraph.tenancy.registry import Tenant
from jobgraph.viewer import Viewer, ViewerKind

# One statement: is the session live, and what may the account do on this tenant?
_ACCOUNT_ROLES = text("""
    SELECT
      (SELECT revoked_at IS NULL FROM auth_sessions WHERE id = :session_id) AS session_live,
      EXISTS (SELECT 1 FROM tenant_admins
              WHERE account_id = :account_id AND tenant_slug = :tenant) AS tenant_admin,
      (SELECT coalesce(json_agg(json_build_array(c.id, c.tenant_slug, c.name)), '[]')
         FROM company_members m JOIN companies c
           ON c.pool_id = m.pool_id AND c.id = m.company_id
        WHERE m.account_id = :account_id) AS companies,
      EXISTS (SELECT 1 FROM accounts WHERE id = :account_id) AS account_exists
""").bindparams(
    bindparam("session_id", type_=UUID(as_uuid=True)),
    bindparam("account_id", type_=UUID(as_uuid=True)),
)


async def account_viewer(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, session_id: uuid.UUID | None
) -> Viewer:
    row = (
        await db.execute(
            _ACCOUNT_ROLES,
            {"session_id": session_id, "account_id": account_id, "tenant": tenant.slug},
        )
    ).one()
    if not row.account_exists:
        raise Unauthenticated("This account no longer exists.")
    if session_id is not None and not row.session_live:
        raise Unauthenticated("This session has been signed out; sign in again.")
    companies = frozenset(
        uuid.UUID(company_id)
        for company_id, home, name in row.companies
        if company_present_on(tenant, home, name)
    )
    return Viewer(
        ViewerKind.ACCOUNT,
        account_id=account_id,
        session_id=session_id,
        tenant_admin=row.tenant_admin,
        companies=companies,
    )


async def grant_tenant_admin(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, granted_by: str
) -> None:
    """Make an account an admin of ``tenant`` (nothing changes if it is one already)."""
    if await db.get(TenantAdmin, (tenant.pool_id, account_id, tenant.slug)) is None:
        db.add(
            TenantAdmin(
                pool_id=tenant.pool_id,
                account_id=account_id,
                tenant_slug=tenant.slug,
                granted_by=granted_by,
            )
        )


async def revoke_tenant_admin(db: AsyncSession, tenant: Tenant, account_id: uuid.UUID) -> None:
    await db.execute(
        delete(TenantAdmin).where(
            TenantAdmin.account_id == account_id, TenantAdmin.tenant_slug == tenant.slug
        )
    )
