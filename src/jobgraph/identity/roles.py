"""What an account may do on a site, read from the database: whether its session is live,
whether it administers the site, and which companies it acts for there. The HTTP edge
builds each request's ``Viewer`` with it; the policy's dry run builds another person's.

A site's admin role is granted by invitation: the address gets a code, and the person
becomes an admin by accepting it while signed in with that address. Inviting and revoking
answer the same whether or not the address has an account."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.errors import BadUserInput, Unauthenticated
from jobgraph.identity import codes
from jobgraph.identity.accounts import check_email, find_by_email
from jobgraph.identity.emails import normalize_email
from jobgraph.identity.models import Account, SiteRoleEvent, TenantAdmin
from jobgraph.identity.second_factor import FRESH_FOR
from jobgraph.notifications.outbox import mail
from jobgraph.tenancy.feed import company_present_on
from jobgraph.tenancy.registry import Tenant
from jobgraph.viewer import Viewer, ViewerKind

# One statement: is the session live, and what may the account do on this tenant?
_ACCOUNT_ROLES = text("""
    SELECT
      (SELECT revoked_at IS NULL FROM auth_sessions WHERE id = :session_id) AS session_live,
      (SELECT second_factor_at > now() - make_interval(secs => :fresh_s)
         FROM auth_sessions WHERE id = :session_id) AS second_factor_fresh,
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
    db: AsyncSession,
    tenant: Tenant,
    account_id: uuid.UUID,
    session_id: uuid.UUID | None,
    attested_second_factor: bool = False,
) -> Viewer:
    """``attested_second_factor``: the site's sign-in provider says the person passed one
    (a token of its own, with no session here to record it in)."""
    row = (
        await db.execute(
            _ACCOUNT_ROLES,
            {
                "session_id": session_id,
                "account_id": account_id,
                "tenant": tenant.slug,
                "fresh_s": FRESH_FOR.total_seconds(),
            },
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
        second_factor_fresh=attested_second_factor or bool(row.second_factor_fresh),
    )


def _admin_of(tenant: Tenant, email: str) -> str:
    """The subject of an invitation to administer ``tenant``."""
    return f"{tenant.slug}:{normalize_email(email)}"


async def invite_tenant_admin(db: AsyncSession, tenant: Tenant, email: str, by: str) -> None:
    """Mail the address an invitation to administer ``tenant`` (the newest one counts)."""
    email = check_email(email)
    code = await codes.issue(
        db, tenant, codes.ADMINISTER_SITE, _admin_of(tenant, email), {"by": by}, to=email
    )
    _record(db, tenant, "INVITED", email, by)
    account = await find_by_email(db, email)
    site = tenant.config.branding.site_name
    await mail(
        db,
        tenant,
        account.id if account else None,
        email,
        "SITE_ADMIN_INVITATION",
        f"You are invited to administer {site}",
        f"You are invited to become an admin of {site}: its settings, policies and the "
        f"personal data its staff may consult. Sign in on {site} with this address (sign up "
        f"first if you have no account), then accept with this code (valid for "
        f"{codes.ADMINISTER_SITE.lasts}, once):\n\n{code}\n\n"
        "If you do not want to, ignore this message: nothing happens without you.",
    )


async def accept_tenant_admin(
    db: AsyncSession, tenant: Tenant, account: Account, token: str
) -> str:
    """Make the signed-in account an admin of ``tenant`` with an invitation to its
    address; who invited it, for the site's history."""
    row = await codes.redeem(db, codes.ADMINISTER_SITE, token)
    if row.subject != _admin_of(tenant, account.email):
        raise BadUserInput(
            "This invitation is for another address or another site: sign in on the site "
            "it names, with the address it was sent to.",
            field="token",
        )
    by = str(row.detail.get("by", "invitation"))
    await grant_tenant_admin(db, tenant, account.id, by)
    _record(db, tenant, "ACCEPTED", account.email, f"account:{account.id}")
    return by


async def revoke_tenant_admin_of(db: AsyncSession, tenant: Tenant, email: str, by: str) -> None:
    """The address is no admin of ``tenant`` from now on: its role, if it has one, and any
    invitation it has not accepted yet."""
    email = check_email(email)
    _record(db, tenant, "REVOKED", email, by)
    await codes.withdraw(db, codes.ADMINISTER_SITE, _admin_of(tenant, email))
    account = await find_by_email(db, email)
    if account is not None:
        await revoke_tenant_admin(db, tenant, account.id)


def _record(db: AsyncSession, tenant: Tenant, event: str, email: str, actor: str) -> None:
    db.add(
        SiteRoleEvent(
            pool_id=tenant.pool_id,
            tenant_slug=tenant.slug,
            id=uuid.uuid4(),
            event=event,
            email=normalize_email(email),
            actor=actor,
        )
    )


async def admin_history(db: AsyncSession, tenant: Tenant, limit: int) -> list[SiteRoleEvent]:
    """The site's admin role, invitation by invitation, newest first."""
    rows = await db.scalars(
        select(SiteRoleEvent)
        .where(SiteRoleEvent.tenant_slug == tenant.slug)
        .order_by(SiteRoleEvent.created_at.desc(), SiteRoleEvent.id)
        .limit(limit)
    )
    return list(rows.all())


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
