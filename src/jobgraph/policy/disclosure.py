"""THE place that decides what of a resume a viewer may see.

Resolvers never decide: they state how the viewer reached the resume (an ``Access``), and
ask ``resume_disclosure`` for a ``Disclosure``: per field, disclosed or withheld, and why.
The platform floor (contact details never in search or on public profiles, never to a
viewer the seeker has no relationship with) holds whatever a tenant's policy says; a
tenant's policy may only withhold more.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from jobgraph.policy.fields import (
    CONTACT_FIELDS,
    NEVER_PUBLIC,
    OTHER_FIELDS,
    PERSONAL_FIELDS,
    WEBHOOK_FIELDS,
    DataUse,
    ResumeField,
    ResumeVisibility,
)
from jobgraph.policy.site import Site
from jobgraph.policy.staff import Power, may
from jobgraph.viewer import Viewer, ViewerKind

ALL_FIELDS = frozenset(ResumeField)


class Relationship(StrEnum):
    """How the viewer stands to the resume: the reason a field is disclosed or not."""

    OWNER = "OWNER"
    APPLICATION = "APPLICATION"  # the seeker applied to this employer's posting
    RESUME_SEARCH = "RESUME_SEARCH"  # an employer finding a searchable resume
    PUBLIC_PROFILE = "PUBLIC_PROFILE"  # anyone reading a public profile
    STAFF_WITH_PURPOSE = "STAFF_WITH_PURPOSE"  # a tenant admin or operator, purpose stated
    NONE = "NONE"  # nothing entitles the viewer to the resume


class DisclosureLevel(StrEnum):
    FULL = "FULL"  # every field
    PARTIAL = "PARTIAL"  # some fields withheld
    NONE = "NONE"  # every field withheld


@dataclass(frozen=True)
class ResumeFacts:
    """What the policy needs to know of a resume (never its personal values)."""

    id: uuid.UUID
    account_id: uuid.UUID
    visibility: ResumeVisibility


@dataclass(frozen=True)
class Access:
    """How the viewer reached the resume; the policy checks these facts, not the caller."""

    via: str  # "direct", "application", "search", "staff"
    application_company_id: uuid.UUID | None = None  # via an application: the job's company
    application_active: bool = False
    # Via an application: the site it was made on, whose policy the seeker accepted.
    application_site: Site | None = None
    purpose: str | None = None  # staff access: the stated purpose

    @classmethod
    def direct(cls) -> Access:
        return _DIRECT

    @classmethod
    def application(cls, company_id: uuid.UUID, active: bool, site: Site | None) -> Access:
        return cls(
            "application",
            application_company_id=company_id,
            application_active=active,
            application_site=site,
        )

    @classmethod
    def search(cls) -> Access:
        return _SEARCH

    @classmethod
    def staff(cls, purpose: str | None) -> Access:
        return cls("staff", purpose=(purpose or "").strip() or None)


# Frozen: one of each is shared by every resume reached that way.
_DIRECT = Access("direct")
_SEARCH = Access("search")


@dataclass(frozen=True)
class Disclosure:
    relationship: Relationship
    disclosed: frozenset[ResumeField]
    # Why a field is withheld, where it is not the relationship's general rule.
    _withheld_because: dict[ResumeField, str] = field(default_factory=dict)

    def reason(self, resume_field: ResumeField) -> str:
        """Why this field is disclosed or withheld, in a person's words."""
        if resume_field in self._withheld_because:
            return self._withheld_because[resume_field]
        return _reason(self.relationship, resume_field in self.disclosed)

    @property
    def withheld(self) -> frozenset[ResumeField]:
        return ALL_FIELDS - self.disclosed

    @property
    def level(self) -> DisclosureLevel:
        if not self.disclosed:
            return DisclosureLevel.NONE
        return DisclosureLevel.FULL if not self.withheld else DisclosureLevel.PARTIAL

    @property
    def visible(self) -> bool:
        """Whether the viewer may know the resume exists at all."""
        return self.relationship is not Relationship.NONE

    def allows(self, resume_field: ResumeField) -> bool:
        return resume_field in self.disclosed

    @property
    def visibility_shown(self) -> bool:
        """Who may find a resume is its owner's choice, shown to the owner alone."""
        return self.relationship is Relationship.OWNER

    @cached_property  # asked for each field shown, of every resume the decision covers
    def recorded_fields(self) -> frozenset[ResumeField]:
        """What must go into the disclosure record when read: personal information shown
        to anyone but its owner."""
        if self.relationship is Relationship.OWNER:
            return frozenset()
        return self.disclosed & PERSONAL_FIELDS


def resume_search_offered(tenant: Site) -> bool:
    """Resume search exists where the tenant declares it as a use of data (first seed
    policy: "to enable employers to use the resume search")."""
    return DataUse.RESUME_SEARCH in tenant.policy.data_uses


_SEARCHABLE = (ResumeVisibility.SEARCHABLE, ResumeVisibility.PUBLIC)


def searchable_visibilities(site: Site) -> list[ResumeVisibility]:
    """The visibilities resume search reaches on a site: those it offers of SEARCHABLE
    and PUBLIC."""
    return [
        visibility for visibility in site.policy.resume_visibilities if visibility in _SEARCHABLE
    ]


def _relationship(
    viewer: Viewer, tenant: Site, resume: ResumeFacts, access: Access
) -> Relationship:
    if viewer.kind is ViewerKind.ACCOUNT and viewer.account_id == resume.account_id:
        return Relationship.OWNER
    if access.via == "staff" and access.purpose and may(viewer, tenant, Power.STAFF_ACCESS):
        return Relationship.STAFF_WITH_PURPOSE
    if (
        access.via == "application"
        and access.application_active
        and access.application_company_id in viewer.companies
    ):
        return Relationship.APPLICATION
    if (
        access.via == "search"
        and viewer.is_employer
        and resume.visibility in _SEARCHABLE  # as searchable_visibilities, without a list
        and resume.visibility in tenant.policy.resume_visibilities
    ):
        return Relationship.RESUME_SEARCH
    if (
        resume.visibility is ResumeVisibility.PUBLIC
        and resume.visibility in tenant.policy.resume_visibilities
        and tenant.policy.public_profile_fields
    ):
        return Relationship.PUBLIC_PROFILE
    return Relationship.NONE


def resume_disclosure(
    viewer: Viewer, tenant: Site, resume: ResumeFacts, access: Access
) -> Disclosure:
    """What of the resume this viewer sees on this site (``tenant``) by this path."""
    return _decided(_relationship(viewer, tenant, resume, access), tenant, access)


def resume_disclosures(
    viewer: Viewer, tenant: Site, access: Access
) -> Callable[[ResumeFacts], Disclosure]:
    """``resume_disclosure`` for the resumes of a page, all reached by ``access``: what
    is disclosed is worked out once per relationship (a page's resumes share one or
    two), and resumes of the same relationship share its decision."""
    decided: dict[Relationship, Disclosure] = {}

    def of(resume: ResumeFacts) -> Disclosure:
        relationship = _relationship(viewer, tenant, resume, access)
        decision = decided.get(relationship)
        if decision is None:
            decision = decided[relationship] = _decided(relationship, tenant, access)
        return decision

    return of


def _decided(relationship: Relationship, tenant: Site, access: Access) -> Disclosure:
    policy = tenant.policy
    because: dict[ResumeField, str] = {}
    if relationship in (Relationship.OWNER, Relationship.STAFF_WITH_PURPOSE):
        disclosed = ALL_FIELDS
    elif relationship is Relationship.APPLICATION:
        disclosed, because = _on_application(tenant, access.application_site or tenant)
    elif relationship is Relationship.RESUME_SEARCH:
        # Personal information and the last employer are withheld from resume search
        # (first seed policy); the floor keeps contact details out whatever the tenant says.
        disclosed = (OTHER_FIELDS - {ResumeField.LAST_EMPLOYER}) - CONTACT_FIELDS
    elif relationship is Relationship.PUBLIC_PROFILE:
        disclosed = frozenset(policy.public_profile_fields) - NEVER_PUBLIC
    else:
        disclosed = frozenset()
    return Disclosure(relationship, frozenset(disclosed), because)


def _on_application(
    tenant: Site, applied_on: Site
) -> tuple[frozenset[ResumeField], dict[ResumeField, str]]:
    """What a company sees on ``tenant`` of a seeker who applied on ``applied_on``: the
    seeker accepted the policy of the site they applied on; the site read on may only
    narrow it."""
    disclosed = frozenset(tenant.policy.application_disclosed_fields)
    if applied_on.slug == tenant.slug:
        return disclosed, {}
    there = frozenset(applied_on.policy.application_disclosed_fields)
    because = {
        withheld: f"not disclosed on application by {applied_on.site_name}, where the "
        "seeker applied"
        for withheld in disclosed - there
    }
    return disclosed & there, because


def endpoint_disclosure(tenant: Site, applied_on: Site, active: bool) -> Disclosure:
    """What a company's webhook endpoint registered on ``tenant`` receives of a seeker who
    applied on ``applied_on``: what the company's people see of the application there,
    narrowed to what the site applied on lets webhooks carry (``webhook_applicant_fields``:
    none by default); nothing once the application is withdrawn."""
    if not active:
        return Disclosure(Relationship.NONE, frozenset())
    disclosed, because = _on_application(tenant, applied_on)
    allowed = frozenset(applied_on.policy.webhook_applicant_fields) & WEBHOOK_FIELDS
    return Disclosure(Relationship.APPLICATION, disclosed & allowed, because)


# An application's cover note: the seeker's own words to one company, written on applying.
# It is the application's, not the resume's, and recorded under this name when shown.
COVER_NOTE = "COVER_NOTE"


def cover_note_reader(
    viewer: Viewer, applicant_id: uuid.UUID, company_id: uuid.UUID | None, active: bool
) -> Relationship:
    """Who reads an application's cover note as ``viewer``: its writer (OWNER), always; the
    people of the company applied to while the application stands (APPLICATION: recorded
    as a disclosure); nobody else (NONE), and nobody but its writer once it is withdrawn."""
    if viewer.kind is ViewerKind.ACCOUNT and viewer.account_id == applicant_id:
        return Relationship.OWNER
    if active and company_id is not None and company_id in viewer.companies:
        return Relationship.APPLICATION
    return Relationship.NONE


def _reason(relationship: Relationship, disclosed: bool) -> str:
    if disclosed:
        return {
            Relationship.OWNER: "your own resume",
            Relationship.APPLICATION: "the seeker applied to your posting",
            Relationship.RESUME_SEARCH: "open to resume search",
            Relationship.PUBLIC_PROFILE: "public profile",
            Relationship.STAFF_WITH_PURPOSE: "staff access with a stated purpose",
        }[relationship]
    return {
        Relationship.APPLICATION: "not disclosed to employers on application by this site",
        Relationship.RESUME_SEARCH: "personal information is withheld from resume search",
        Relationship.PUBLIC_PROFILE: "not part of the public profile on this site",
    }.get(relationship, "you have no access to this resume")
