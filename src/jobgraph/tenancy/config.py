"""The one definition of a tenant's configuration, shared by the files in ``tenants/`` and
(later) the admin API. Validation is strict: unknown keys and wrong types are errors, and
so is any policy that discloses more than the platform floor or, for a partner site, more
than its main site."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import (
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from jobgraph.policy.config import Policy, StrictModel, partner_excess

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
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]


class Branding(StrictModel):
    site_name: str = Field(min_length=1, max_length=100)
    logo_url: str | None = Field(default=None, pattern=r"^(https://|/)\S+$")
    primary_color: Colour = "#1f4e79"
    accent_color: Colour = "#f28c28"
    locale: str = Field(default="en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    support_email: Email | None = None


# Plain http only for a provider on this machine (development and tests).
ProviderUrl = Annotated[
    str, StringConstraints(pattern=r"^(https://\S+|http://(127\.0\.0\.1|localhost)(:\d+)?(/\S*)?)$")
]


class OidcProvider(StrictModel):
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


class AuthPolicy(StrictModel):
    password_login: bool = True
    oidc: OidcProvider | None = None


class TenantConfig(StrictModel):
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
