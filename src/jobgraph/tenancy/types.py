"""GraphQL types of a tenant: what a partner site needs to draw itself and explain its rules,
and, for its admins, its configuration, versions and changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from jobgraph.policy.config import Policy
from jobgraph.policy.types import (
    DataUse,
    ResumeField,
    ResumeVisibility,
    ThirdPartyDisclosure,
)
from jobgraph.tenancy import admin
from jobgraph.tenancy.config import Branding as BrandingConfig
from jobgraph.tenancy.models import TenantConfigVersion, TenantRow
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


@strawberry.type(description="One key of a tenant's configuration that a version changed.")
class ConfigChange:
    key: str = strawberry.field(description="Dotted, as in the tenant file: policy.api.max_cost.")
    before: JSON | None = strawberry.field(description="The value before; null: not set.")
    after: JSON | None = strawberry.field(description="The value after; null: not set.")


def _changes(changes: list[dict[str, Any]]) -> list[ConfigChange]:
    return [ConfigChange(key=c["key"], before=c["from"], after=c["to"]) for c in changes]


@strawberry.type(description="One version of a tenant's configuration, and who made it.")
class TenantVersion:
    version: int
    source: str = strawberry.field(description="FILE (tenants sync) or API.")
    actor: str = strawberry.field(description="account:…, operator:…, or file:<name>.toml.")
    actor_name: str = strawberry.field(
        description="Who that is, in words: an e-mail address, or the file's name."
    )
    changed_at: datetime
    note: str | None
    changes: list[ConfigChange]
    config: JSON = strawberry.field(description="The whole configuration of this version.")

    @classmethod
    def of(cls, row: TenantConfigVersion, names: dict[str, str] | None = None) -> TenantVersion:
        return cls(
            version=row.version,
            source=row.source,
            actor=row.actor,
            actor_name=(names or {}).get(row.actor, row.actor),
            changed_at=row.created_at,
            note=row.note,
            changes=_changes(row.changes),
            config=JSON(row.config),
        )


@strawberry.type(description="A tenant's current configuration, as its file would hold it.")
class TenantSettings:
    slug: str
    version: int = strawberry.field(
        description="Pass it back as expectedVersion to refuse a change "
        "if someone changed the tenant in between."
    )
    source: str = strawberry.field(description="Where this version came from: FILE or API.")
    config: JSON

    @classmethod
    def of(cls, row: TenantRow) -> TenantSettings:
        return cls(slug=row.slug, version=row.version, source=row.source, config=JSON(row.config))


@strawberry.type(description="The outcome of a change: the new settings and what changed.")
class TenantChange:
    settings: TenantSettings
    changes: list[ConfigChange] = strawberry.field(description="Empty: nothing differed.")
    resumes_made_less_visible: int = strawberry.field(
        description="Resumes moved to the default visibility because the site "
        "no longer offers theirs (their owners are notified)."
    )

    @classmethod
    def of(cls, applied: admin.Applied) -> TenantChange:
        return cls(
            settings=TenantSettings.of(applied.row),
            changes=_changes(applied.changes),
            resumes_made_less_visible=applied.resumes_changed,
        )
