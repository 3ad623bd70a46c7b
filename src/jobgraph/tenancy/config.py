"""The one definition of a tenant's configuration, shared by the files in ``tenants/`` and
(later) the admin API. Validation is strict: unknown keys and wrong types are errors, and
so is any policy that discloses more than the platform floor or, for a partner site, more
than its main site."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationError,
    model_validator,
)

from jobgraph.policy.fields import (
    NEVER_PUBLIC,
    DataUse,
    ResumeField,
    ResumeVisibility,
    ThirdPartyDisclosure,
)

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,62}$")]
Hostname = Annotated[
    str,
    StringConstraints(
        to_lower=True,
        max_length=253,
        pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$",
    ),
]
Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Origin = Annotated[str, StringConstraints(pattern=r"^https?://[a-z0-9.-]+(:\d{1,5})?$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]

# An enum, given by its name as a string in a file or a JSON patch (strict mode would
# take only the Python member).
Visibility = Annotated[ResumeVisibility, Strict(False)]
Field_ = Annotated[ResumeField, Strict(False)]
Use = Annotated[DataUse, Strict(False)]
ThirdParties = Annotated[ThirdPartyDisclosure, Strict(False)]

MAX_PAGE_SIZE_CEILING = 100
MAX_TOKENS_CEILING = 10_000
MIN_STATISTICS_CELL = 3


class _Strict(BaseModel):
    # Strict types: "no" is not a boolean, "30" not a number, 1 not true, in a file or a
    # JSON patch alike (enums are named by their strings, below).
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True)


class Branding(_Strict):
    site_name: str = Field(min_length=1, max_length=100)
    logo_url: str | None = Field(default=None, pattern=r"^(https://|/)\S+$")
    primary_color: Colour = "#1f4e79"
    accent_color: Colour = "#f28c28"
    locale: str = Field(default="en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    support_email: Email | None = None


class FeedPolicy(_Strict):
    """Which of its main site's postings a partner site shows. Empty lists select all."""

    categories: list[str] = []
    prefectures: list[str] = []
    include_companies: list[str] = Field(default=[], description="company names; empty: all")
    exclude_companies: list[str] = []
    include_own_postings: bool = True


class ApiPolicy(_Strict):
    max_page_size: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE_CEILING)
    allowed_origins: list[Origin] = []
    site_key_requests_per_minute: int = Field(default=600, ge=1)
    # Requests a minute from one address without a key or a token (an anonymous visitor).
    anonymous_requests_per_minute: int = Field(default=300, ge=1)
    # Without a key or a token, callers may only sign in: the site's own pages, widgets and
    # servers use their site key or OAuth client, each with its own limit.
    require_site_key: bool = False
    # Queries over GET (cacheable by proxies); mutations never go over GET.
    allow_get_queries: bool = False
    # With GET allowed: how long anonymous GET reads of public data (postings, companies,
    # the site's settings) may be cached, by browsers, CDNs and the service itself (0: not).
    public_cache_max_age_s: int = Field(default=0, ge=0, le=3600)
    # Site keys and partner clients may run only the documents they registered.
    trusted_documents_only: bool = False
    # Automatic persisted queries (the Apollo protocol): a client may send only a query's
    # sha256 hash once the service has seen the query. Off unless the site turns it on.
    automatic_persisted_queries: bool = False
    # What one GraphQL document may ask (see graphql/limits.py).
    max_depth: int = Field(default=12, ge=2, le=30)
    max_aliases: int = Field(default=30, ge=0, le=100)
    max_tokens: int = Field(default=2000, ge=50, le=MAX_TOKENS_CEILING)
    max_cost: int = Field(default=5000, ge=10, le=100_000)
    # Introspection and "Did you mean" suggestions: for everyone, for signed-in people
    # (employers in the console, staff), or for no one.
    introspection: Literal["on", "signed_in", "off"] = "signed_in"


# Plain http only for a provider on this machine (development and tests).
ProviderUrl = Annotated[
    str, StringConstraints(pattern=r"^(https://\S+|http://(127\.0\.0\.1|localhost)(:\d+)?(/\S*)?)$")
]


class OidcProvider(_Strict):
    """An OpenID Connect provider whose ID or access tokens this tenant accepts."""

    issuer: ProviderUrl
    audience: str = Field(min_length=1)
    jwks_uri: ProviderUrl
    algorithms: list[Literal["RS256", "PS256", "ES256", "EdDSA"]] = ["RS256", "ES256"]
    email_claim: str = "email"
    name_claim: str = "name"
    # For the employer console's sign-in (authorization code with PKCE, in the browser):
    # the provider's endpoints; the console is the public client whose id is `audience`,
    # with the redirect URI https://<tenant hostname>/console.
    authorization_endpoint: ProviderUrl | None = None
    token_endpoint: ProviderUrl | None = None

    @model_validator(mode="after")
    def _console_endpoints_together(self) -> Self:
        if (self.authorization_endpoint is None) != (self.token_endpoint is None):
            raise ValueError(
                "authorization_endpoint: set it together with token_endpoint (both or neither)"
            )
        return self


class AuthPolicy(_Strict):
    password_login: bool = True
    oidc: OidcProvider | None = None


class Policy(_Strict):
    resume_visibilities: list[Visibility] = Field(
        default=[ResumeVisibility.PRIVATE, ResumeVisibility.SEARCHABLE], min_length=1
    )
    default_resume_visibility: Visibility = ResumeVisibility.PRIVATE
    # What an employer sees of a seeker who applied to one of its postings.
    application_disclosed_fields: list[Field_] = list(ResumeField)
    # What anyone sees of a PUBLIC resume (only where PUBLIC is offered).
    public_profile_fields: list[Field_] = []
    third_party_disclosure: ThirdParties = ThirdPartyDisclosure.LAW_ONLY
    signup_requires_full_name: bool = False
    invitations_enabled: bool = True
    data_uses: list[Use] = list(DataUse)
    statistics_min_cell: int = Field(default=5, ge=MIN_STATISTICS_CELL)
    # Seekers whose resume has not changed for this long are asked to review it.
    update_reminder_days: int = Field(default=180, ge=30)
    feed: FeedPolicy | None = None
    api: ApiPolicy = ApiPolicy()
    # The GraphiQL console for employers at /console: on for main sites, off for partner
    # sites unless set (a partner's visitors are not offered it by default).
    employer_console: bool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.default_resume_visibility not in self.resume_visibilities:
            raise ValueError(
                "default_resume_visibility: must be one of resume_visibilities "
                f"({', '.join(self.resume_visibilities)})"
            )
        floor = sorted(set(self.public_profile_fields) & NEVER_PUBLIC)
        if floor:
            raise ValueError(
                f"public_profile_fields: may never include {', '.join(floor)}: the platform "
                "never shows contact details on public profiles"
            )
        if self.public_profile_fields and ResumeVisibility.PUBLIC not in self.resume_visibilities:
            raise ValueError(
                "public_profile_fields: is set, but PUBLIC is not one of resume_visibilities"
            )
        return self


class TenantConfig(_Strict):
    slug: Slug
    name: str = Field(min_length=1, max_length=100)
    hostnames: list[Hostname] = Field(min_length=1)
    parent: Slug | None = None
    branding: Branding
    policy: Policy = Policy()
    auth: AuthPolicy = AuthPolicy()

    @property
    def employer_console_enabled(self) -> bool:
        if self.policy.employer_console is not None:
            return self.policy.employer_console
        return self.parent is None

    @model_validator(mode="after")
    def _feed_only_on_partner_sites(self) -> Self:
        if self.policy.feed is not None and self.parent is None:
            raise ValueError("policy.feed: applies only to a partner site (one with a parent)")
        return self


def partner_excess(partner: Policy, parent: Policy) -> list[tuple[str, str]]:
    """Where a partner site's policy discloses more than its main site's: (key, rule) pairs."""
    problems: list[tuple[str, str]] = []
    for key in ("resume_visibilities", "application_disclosed_fields", "public_profile_fields"):
        extra = sorted(set(getattr(partner, key)) - set(getattr(parent, key)))
        if extra:
            problems.append(
                (
                    f"policy.{key}",
                    f"a partner site cannot allow what its main site does not: {', '.join(extra)}",
                )
            )
    if partner.third_party_disclosure.openness > parent.third_party_disclosure.openness:
        problems.append(
            (
                "policy.third_party_disclosure",
                f"a partner site cannot allow {partner.third_party_disclosure} when its main site "
                f"allows only {parent.third_party_disclosure}",
            )
        )
    return problems


def parent_problems(config: TenantConfig, parent: TenantConfig | None) -> list[tuple[str, str]]:
    """(key, rule) pairs wrong between a partner site and its main site (``parent``: the
    config its ``parent`` names, None if there is none)."""
    if config.parent is None:
        return []
    if parent is None:
        return [("parent", f"unknown parent tenant '{config.parent}'")]
    if parent.parent is not None:
        return [
            (
                "parent",
                f"'{config.parent}' is itself a partner site; a partner site's parent must be "
                "a main site",
            )
        ]
    return partner_excess(config.policy, parent.policy)


def dotted(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_KEYED_RULE = re.compile(r"^(?:Value error, )?(?P<key>[a-z_][a-z_.]*): (?P<rule>.*)$", re.S)


def located_problems(error: ValidationError) -> list[tuple[str, str]]:
    """(key, rule) for each problem of a validation error. Our cross-field rules name their
    key as a prefix ("key: rule"), which is joined to the location of the model that raised."""
    problems = []
    for detail in error.errors(include_url=False):
        key, rule = dotted(detail["loc"]), detail["msg"]
        if detail["type"] == "extra_forbidden":
            rule = "unknown key"
        elif match := _KEYED_RULE.match(rule):
            named = match["key"]
            key = named if not key or named.startswith(f"{key}.") else f"{key}.{named}"
            rule = match["rule"]
        problems.append((key or "(top level)", rule.removeprefix("Value error, ")))
    return problems
