"""Who acts for a company. Its owners, and the pool's own staff (the main site's admins
and operators, by the policy's table of staff powers), invite a person by e-mail address;
the person joins by accepting the e-mailed code while signed in with that address. The
answer to an invitation is the same whether or not the address has an account, and
nobody is added without their own act."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph import signing
from jobgraph.errors import BadUserInput, Forbidden, NotFound
from jobgraph.identity.accounts import check_email, find_by_email
from jobgraph.identity.emails import normalize_email
from jobgraph.identity.hooks import CompanyMembership
from jobgraph.identity.models import Account, CompanyMember, MemberRole
from jobgraph.jobs.models import Company
from jobgraph.notifications.outbox import enqueue
from jobgraph.policy.staff import Power, may, require, staff_role
from jobgraph.tenancy.feed import company_present_on
from jobgraph.tenancy.registry import Tenant
from jobgraph.viewer import Viewer

PURPOSE = "join-company"
INVITATION_TTL_S = 7 * 24 * 3600
INVITATIONS_PER_COMPANY = "30/hour"


async def _company_managed_by(
    db: AsyncSession, tenant: Tenant, viewer: Viewer, company_id: uuid.UUID
) -> Company:
    if not may(viewer, tenant, Power.MANAGE_COMPANY_MEMBERS):
        role = await db.scalar(
            select(CompanyMember.role).where(
                CompanyMember.company_id == company_id,
                CompanyMember.account_id == viewer.account_id,
            )
        )
        if role != MemberRole.OWNER:
            if staff_role(viewer, tenant) is not None:
                require(viewer, tenant, Power.MANAGE_COMPANY_MEMBERS)  # the policy's reason
            raise Forbidden(
                "Only the company's owners, the main site's admins and platform operators "
                "may invite members (a partner site's admins may not)."
            )
    company = await db.get(Company, (tenant.pool_id, company_id))
    if company is None:
        raise NotFound(f"No company {company_id} on this site.")
    return company


async def invite(
    db: AsyncSession,
    tenant: Tenant,
    viewer: Viewer,
    secret: str,
    company_id: uuid.UUID,
    email: str,
    role: str,
) -> None:
    company = await _company_managed_by(db, tenant, viewer, company_id)
    email = check_email(email)
    account = await find_by_email(db, email)
    code = signing.sign(
        secret,
        PURPOSE,
        {
            "p": tenant.pool_id,
            "c": str(company.id),
            "e": normalize_email(email),
            "r": role,
            "by": viewer.actor,
        },
    )
    site = tenant.config.branding.site_name
    await enqueue(
        db,
        tenant,
        account.id if account else None,
        email,
        "COMPANY_INVITATION",
        f"COMPANY_INVITATION:{company.id}:{normalize_email(email)}:{datetime.now(UTC).isoformat()}",
        f"You are invited to act for {company.name} on {site}"[:200],
        f"{_inviter(viewer)} invites you to act for {company.name} on {site} "
        f"as {role.lower()}. Sign in on {site} with this address (or sign up first), then "
        f"accept with this code (valid for 7 days):\n\n{code}\n\n"
        "If you do not want to, ignore this message: nothing happens without you.",
    )


def _inviter(viewer: Viewer) -> str:
    return "A platform operator" if viewer.is_operator else "A colleague"


async def accept(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, secret: str, token: str
) -> Company:
    claims = signing.read(secret, PURPOSE, token, INVITATION_TTL_S, "invitation code")
    account = await db.get(Account, (tenant.pool_id, account_id))
    if (
        account is None
        or claims.get("p") != tenant.pool_id
        or claims.get("e") != account.email_normalized
    ):
        raise BadUserInput(
            "This invitation is for another e-mail address: sign in with the address it "
            "was sent to.",
            field="token",
        )
    company = await db.get(Company, (tenant.pool_id, uuid.UUID(claims["c"])))
    if company is None:
        raise NotFound("The company of this invitation no longer exists.")
    member = await db.get(CompanyMember, (tenant.pool_id, company.id, account.id))
    if member is None:
        db.add(
            CompanyMember(
                pool_id=tenant.pool_id,
                company_id=company.id,
                account_id=account.id,
                role=claims["r"],
                granted_by=claims.get("by", "invitation"),
            )
        )
    else:
        member.role = claims["r"]
    return company


async def memberships(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID
) -> list[CompanyMembership]:
    """The companies an account acts for that ``tenant`` shows, by name (identity's ``me``
    asks it through ``IdentityHooks``)."""
    rows = (
        await db.execute(
            select(Company.id, Company.name, Company.tenant_slug, CompanyMember.role)
            .join(
                CompanyMember,
                (CompanyMember.pool_id == Company.pool_id)
                & (CompanyMember.company_id == Company.id),
            )
            .where(CompanyMember.account_id == account_id)
            .order_by(Company.name)
        )
    ).all()
    return [
        CompanyMembership(company_id=row.id, company_name=row.name, role=row.role)
        for row in rows
        if company_present_on(tenant, row.tenant_slug, row.name)
    ]


MAX_COMPANY_NAME = 200


async def create_company(
    db: AsyncSession, tenant: Tenant, viewer: Viewer, fields: dict[str, Any]
) -> Company:
    """A new employer organisation on this site, with the signed-in account its owner."""
    name = str(fields["name"]).strip()
    if not 1 <= len(name) <= MAX_COMPANY_NAME:
        raise BadUserInput(
            f"The company name must have 1 to {MAX_COMPANY_NAME} characters.", field="name"
        )
    row = Company(
        pool_id=tenant.pool_id, tenant_slug=tenant.slug, id=uuid.uuid4(), **{**fields, "name": name}
    )
    db.add(row)
    await db.flush()
    db.add(
        CompanyMember(
            pool_id=tenant.pool_id,
            company_id=row.id,
            account_id=viewer.signed_in_account,
            role=MemberRole.OWNER,
            granted_by=viewer.actor,
        )
    )
    return row
