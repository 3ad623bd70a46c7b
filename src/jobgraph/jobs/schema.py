"""Jobs' part of the schema: employer organisations and their members."""

from __future__ import annotations

import uuid
from enum import StrEnum

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from jobgraph.errors import BadUserInput, Forbidden, NotFound
from jobgraph.graphql.ids import parse_id
from jobgraph.identity.accounts import find_by_email
from jobgraph.identity.models import CompanyMember
from jobgraph.identity.permissions import AccountHolder, SignedIn
from jobgraph.jobs.models import Company as CompanyRow
from jobgraph.jobs.types import Company


class MemberRole(StrEnum):
    OWNER = "OWNER"  # manages the company's members
    MEMBER = "MEMBER"


MemberRoleType = strawberry.enum(MemberRole, description="A member's role in a company.")


@strawberry.input
class CompanyInput:
    name: str
    description: str = ""
    website: str | None = None
    industry: str | None = None
    size: str | None = None
    locations: list[str] = strawberry.field(default_factory=list)


@strawberry.type
class JobsMutation:
    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Create an employer organisation on this site; you become its owner.",
    )
    async def create_company(self, info: Info, input: CompanyInput) -> Company:
        context = info.context
        name = input.name.strip()
        if not 1 <= len(name) <= 200:
            raise BadUserInput("The company name must have 1 to 200 characters.", field="name")
        async with context.transaction() as db:
            row = CompanyRow(
                pool_id=context.tenant.pool_id,
                tenant_slug=context.tenant.slug,
                id=uuid.uuid4(),
                name=name,
                description=input.description,
                website=input.website,
                industry=input.industry,
                size=input.size,
                locations=input.locations,
            )
            db.add(row)
            await db.flush()
            db.add(
                CompanyMember(
                    pool_id=context.tenant.pool_id,
                    company_id=row.id,
                    account_id=context.viewer.account_id,
                    role=MemberRole.OWNER,
                    granted_by=context.viewer.actor,
                )
            )
        return Company.of(row)

    @strawberry.mutation(
        permission_classes=[SignedIn],
        description="Let an account act for a company (its owners, this "
        "site's admins and operators may).",
    )
    async def add_company_member(
        self,
        info: Info,
        company_id: strawberry.ID,
        email: str,
        role: MemberRoleType = MemberRole.MEMBER,
    ) -> bool:
        context = info.context
        company = parse_id(company_id, "companyId")
        async with context.transaction() as db:
            viewer = context.viewer
            if not (viewer.tenant_admin or viewer.is_operator):
                owner = await db.scalar(
                    select(CompanyMember.role).where(
                        CompanyMember.company_id == company,
                        CompanyMember.account_id == viewer.account_id,
                    )
                )
                if owner != MemberRole.OWNER:
                    raise Forbidden(
                        "Only the company's owners, this site's admins and "
                        "operators may add members."
                    )
            if await db.get(CompanyRow, (context.tenant.pool_id, company)) is None:
                raise NotFound(f"No company {company} on this site.")
            account = await find_by_email(db, email)
            if account is None:
                raise NotFound(f"No account with the e-mail address '{email}' on this site.")
            member = await db.get(CompanyMember, (context.tenant.pool_id, company, account.id))
            if member is None:
                db.add(
                    CompanyMember(
                        pool_id=context.tenant.pool_id,
                        company_id=company,
                        account_id=account.id,
                        role=role,
                        granted_by=viewer.actor,
                    )
                )
            else:
                member.role = role
        return True
