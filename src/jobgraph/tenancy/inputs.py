"""GraphQL inputs of tenancy: branding changes."""

from __future__ import annotations

import strawberry


@strawberry.input(description="Branding keys to change; leave out what stays, null clears.")
class BrandingInput:
    site_name: str | None = strawberry.UNSET
    logo_url: str | None = strawberry.UNSET
    primary_color: str | None = strawberry.UNSET
    accent_color: str | None = strawberry.UNSET
    locale: str | None = strawberry.UNSET
    support_email: str | None = strawberry.UNSET
