"""GraphQL types of a tenant: what a partner site needs to draw itself and explain its rules."""

from __future__ import annotations

import strawberry

from jobgraph.fields import Info
from jobgraph.permissions import TenantRead
from jobgraph.policy.config import Policy
from jobgraph.policy.types import (
    DataUse,
    ResumeField,
    ResumeVisibility,
    ThirdPartyDisclosure,
)
from jobgraph.tenancy.config import Branding as BrandingConfig
from jobgraph.tenancy.registry import Tenant as TenantValue


@strawberry.type(description="How a tenant's site looks.")
class Branding:
    site_name: str
    logo_url: str | None
    primary_color: str
    accent_color: str
    locale: str
    support_email: str | None

    @classmethod
    def of(cls, branding: BrandingConfig) -> Branding:
        return cls(**branding.model_dump())


@strawberry.type(description="The parts of a tenant's policy that its users may rely on.")
class PublicPolicy:
    resume_visibilities: list[ResumeVisibility]
    default_resume_visibility: ResumeVisibility
    application_disclosed_fields: list[ResumeField] = strawberry.field(
        description="What an employer sees of a seeker who applied to its posting."
    )
    public_profile_fields: list[ResumeField] = strawberry.field(
        description="What anyone sees of a PUBLIC resume."
    )
    third_party_disclosure: ThirdPartyDisclosure
    signup_requires_full_name: bool
    invitations_enabled: bool
    data_uses: list[DataUse]
    max_page_size: int

    @classmethod
    def of(cls, policy: Policy) -> PublicPolicy:
        return cls(
            resume_visibilities=policy.resume_visibilities,
            default_resume_visibility=policy.default_resume_visibility,
            application_disclosed_fields=policy.application_disclosed_fields,
            public_profile_fields=policy.public_profile_fields,
            third_party_disclosure=policy.third_party_disclosure,
            signup_requires_full_name=policy.signup_requires_full_name,
            invitations_enabled=policy.invitations_enabled,
            data_uses=policy.data_uses,
            max_page_size=policy.api.max_page_size,
        )


@strawberry.type(description="The site a request is for: a main site or a partner site of one.")
class Tenant:
    slug: str
    name: str
    parent_slug: str | None = strawberry.field(
        description="The main site of a partner site; null for a main site."
    )
    branding: Branding
    public_policy: PublicPolicy

    @strawberry.field(description="True for a white-label partner site of a main site.")
    def is_partner_site(self) -> bool:
        return self.parent_slug is not None

    @classmethod
    def of(cls, tenant: TenantValue) -> Tenant:
        return cls(
            slug=tenant.slug,
            name=tenant.config.name,
            parent_slug=tenant.config.parent,
            branding=Branding.of(tenant.config.branding),
            public_policy=PublicPolicy.of(tenant.config.policy),
        )


@strawberry.type
class TenantQuery:
    @strawberry.field(
        description="The tenant this request is for (from its Host or X-Tenant).",
        permission_classes=[TenantRead],
    )
    def tenant(self, info: Info) -> Tenant:
        return Tenant.of(info.context.tenant)
