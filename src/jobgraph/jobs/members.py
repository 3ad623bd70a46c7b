"""Who acts for a company. Its owners, and the pool's own staff (the main site's admins
and operators, by the policy's table of staff powers), invite a person by e-mail address;
the person joins by accepting the e-mailed code while signed in with that address. The
answer to an invitation is the same whether or not the address has an account, and
nobody is added without their own act."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.errors import BadUserInput, Forbidden, NotFound
from jobgraph.hygiene import web_address
from jobgraph.identity import codes
from jobgraph.identity.accounts import check_email, find_by_email
from jobgraph.identity.emails import normalize_email
from jobgraph.identity.hooks import CompanyMembership
from jobgraph.identity.models import Account, CompanyMember, MemberRole
from jobgraph.jobs.models import Company
from jobgraph.notifications.outbox import mail
from jobgraph.policy.staff import Power, may, require, staff_role
from jobgraph.tenancy.feed import company_present_on
from jobgraph.tenancy.registry import Tenant
from jobgraph.viewer import Viewer

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


def _invitation_to(company_id: uuid.UUID, email: str) -> str:
    """The subject of an invitation: one company, one address (the newest one counts)."""
    return f"{company_id}:{normalize_email(email)}"


async def invite(
    db: AsyncSession,
    tenant: Tenant,
    viewer: Viewer,
    company_id: uuid.UUID,
    email: str,
    role: str,
) -> None:
    """Mail the address an invitation naming its role; any earlier one to the same
    address for the same company stops working."""
    company = await _company_managed_by(db, tenant, viewer, company_id)
    email = check_email(email)
    account = await find_by_email(db, email)
    code = await codes.issue(
        db,
        tenant,
        codes.JOIN_COMPANY,
        _invitation_to(company.id, email),
        {"company": str(company.id), "role": role, "by": viewer.actor},
        to=email,
    )
    site = tenant.config.branding.site_name
    await mail(
        db,
        tenant,
        account.id if account else None,
        email,
        "COMPANY_INVITATION",
        f"You are invited to act for {company.name} on {site}"[:200],
        f"{_inviter(viewer)} invites you to act for {company.name} on {site} "
        f"as {role.lower()}. Sign in on {site} with this address (or sign up first), then "
        f"accept with this code (valid for {codes.JOIN_COMPANY.lasts}, once; a newer "
        f"invitation replaces it):\n\n{code}\n\n"
        "If you do not want to, ignore this message: nothing happens without you.",
    )


def _inviter(viewer: Viewer) -> str:
    return "A platform operator" if viewer.is_operator else "A colleague"


async def accept(db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, token: str) -> Company:
    row = await codes.redeem(db, codes.JOIN_COMPANY, token)
    account = await db.get(Account, (tenant.pool_id, account_id))
    invitation = row.detail
    company_id = uuid.UUID(invitation["company"])
    if account is None or row.subject != _invitation_to(company_id, account.email):
        raise BadUserInput(
            "This invitation is for another e-mail address: sign in with the address it "
            "was sent to.",
            field="token",
        )
    company = await db.get(Company, (tenant.pool_id, company_id))
    if company is None:
        raise NotFound("The company of this invitation no longer exists.")
    member = await db.get(CompanyMember, (tenant.pool_id, company.id, account.id))
    if member is None:
        db.add(
            CompanyMember(
                pool_id=tenant.pool_id,
                company_id=company.id,
                account_id=account.id,
                role=invitation["role"],
                granted_by=invitation.get("by", "invitation"),
            )
        )
    else:
        member.role = invitation["role"]
    return company


async def _member(
    db: AsyncSession, tenant: Tenant, company_id: uuid.UUID, account: Account | None
) -> CompanyMember:
    member = None
    if account is not None:
        member = await db.get(
            CompanyMember, (tenant.pool_id, company_id, account.id), with_for_update=True
        )
    if member is None:
        raise NotFound("Nobody with this address acts for this company.", field="email")
    return member


async def _keep_an_owner(db: AsyncSession, member: CompanyMember) -> None:
    """A company keeps at least one owner: its last cannot leave, be removed or demoted.
    The owners' rows are locked, so two owners leaving at once cannot both succeed."""
    owners = (
        await db.scalars(
            select(CompanyMember.account_id)
            .where(
                CompanyMember.company_id == member.company_id,
                CompanyMember.role == MemberRole.OWNER,
            )
            .with_for_update()
        )
    ).all()
    if member.role == MemberRole.OWNER and set(owners) <= {member.account_id}:
        raise BadUserInput(
            "A company keeps at least one owner: make another member an owner first.",
            field="email",
        )


async def change_role(
    db: AsyncSession,
    tenant: Tenant,
    viewer: Viewer,
    company_id: uuid.UUID,
    email: str,
    role: str,
) -> None:
    await _company_managed_by(db, tenant, viewer, company_id)
    member = await _member(db, tenant, company_id, await find_by_email(db, email))
    if role != MemberRole.OWNER:
        await _keep_an_owner(db, member)
    member.role = role
    member.granted_by = viewer.actor


async def remove(
    db: AsyncSession,
    tenant: Tenant,
    viewer: Viewer,
    company_id: uuid.UUID,
    email: str,
) -> None:
    """The address's account acts for the company no more."""
    await _company_managed_by(db, tenant, viewer, company_id)
    await _leave(db, tenant, company_id, await find_by_email(db, email))


async def leave(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, company_id: uuid.UUID
) -> None:
    await _leave(db, tenant, company_id, await db.get(Account, (tenant.pool_id, account_id)))


async def _leave(
    db: AsyncSession, tenant: Tenant, company_id: uuid.UUID, account: Account | None
) -> None:
    """A member gone, with any invitation its address has not accepted yet (or it could
    come back with it)."""
    member = await _member(db, tenant, company_id, account)
    await _keep_an_owner(db, member)
    assert account is not None
    await codes.withdraw(db, codes.JOIN_COMPANY, _invitation_to(company_id, account.email))
    await db.delete(member)


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
    website = web_address(fields.get("website"), "website")
    row = Company(
        pool_id=tenant.pool_id,
        tenant_slug=tenant.slug,
        id=uuid.uuid4(),
        **{**fields, "name": name, "website": website},
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
