"""GraphQL types of identity: the signed-in account, tokens, partner-site credentials."""

from __future__ import annotations

from datetime import datetime

import strawberry

from jobgraph.fields import show_id
from jobgraph.identity.models import OAuthClient as OAuthClientRow
from jobgraph.identity.models import SiteKey as SiteKeyRow
from jobgraph.viewer import Scope

# The GraphQL enums registered here, importable from here by the modules that use them.
__all__ = ["Scope"]

strawberry.enum(Scope, name="ClientScope", description="What a partner server's client may do.")


@strawberry.type(description="A company the signed-in account acts for on this site.")
class Membership:
    company_id: strawberry.ID
    company_name: str
    role: str


@strawberry.type(description="The signed-in account, as its owner sees it.")
class Me:
    id: strawberry.ID
    email: str
    full_name: str | None
    is_tenant_admin: bool = strawberry.field(description="Admin of this site.")
    memberships: list[Membership]
    second_factor_enrolled: bool = strawberry.field(
        description="Whether an authenticator app is enrolled (enrolSecondFactor)."
    )
    second_factor_verified: bool = strawberry.field(
        description="Whether this session passed the second factor in the last 12 hours, "
        "as staff powers require (verifySecondFactor)."
    )


@strawberry.type(
    description="A second factor to enrol: scan the QR code (or type the secret) into an "
    "authenticator app, then confirm with the code it shows (confirmSecondFactor)."
)
class SecondFactorEnrolment:
    secret: str = strawberry.field(description="Base32, for typing into the app by hand.")
    uri: str = strawberry.field(description="The otpauth:// address the QR code holds.")
    qr_code_svg: str = strawberry.field(description="The QR code as an SVG element.")


@strawberry.type(description="One step in the history of a site's admin role.")
class SiteRoleEntry:
    event: str = strawberry.field(description="INVITED, ACCEPTED or REVOKED.")
    email: str
    actor_name: str = strawberry.field(description="Who did it.")
    at: datetime


@strawberry.type(
    description="One of your sign-ins that is still signed in: on which site, from which "
    "browser and address, and when it was last used (signed in or refreshed its tokens)."
)
class SignInSession:
    id: strawberry.ID
    site: str
    created_at: datetime
    last_used_at: datetime | None
    user_agent: str | None
    address: str | None
    current: bool = strawberry.field(description="The session of this request.")


@strawberry.type(
    description="A registration was received. The answer is the same whether or not the "
    "address already has an account: the address's owner gets an e-mail, with a code for "
    "confirmRegistration (a new account) or a note that the account exists."
)
class RegistrationStarted:
    email: str
    message: str


@strawberry.type(
    description="A request that mails a code was received. The answer is the same whatever "
    "the address: only the address's owner learns more, by e-mail."
)
class CodeMailed:
    email: str
    message: str


@strawberry.type(
    description="The tokens of a sign-in. Send the access token as "
    "'Authorization: Bearer <accessToken>'; trade the refresh token "
    "for a new pair with refreshToken before it expires."
)
class AuthPayload:
    access_token: str
    refresh_token: str | None
    expires_in: int = strawberry.field(description="Seconds the access token is valid.")
    token_type: str = "Bearer"


@strawberry.type(description="A public key a partner site embeds in its pages.")
class SiteKey:
    id: strawberry.ID
    name: str
    key: str = strawberry.field(
        description="Public: send it as 'X-Site-Key' from an allowed origin."
    )
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: SiteKeyRow) -> SiteKey:
        return cls(
            id=show_id(row.id),
            name=row.name,
            key=row.key,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type(
    description="A partner server's OAuth client (its secret is never shown again after creation)."
)
class OAuthClient:
    id: strawberry.ID
    name: str
    client_id: str
    scopes: list[Scope]
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: OAuthClientRow) -> OAuthClient:
        return cls(
            id=show_id(row.id),
            name=row.name,
            client_id=row.client_id,
            scopes=[Scope(scope) for scope in row.scopes],
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type(description="A new client and its secret, shown this once: store it now.")
class OAuthClientCreated:
    client: OAuthClient
    client_secret: str


@strawberry.type(description="A document a partner client registered (trusted documents).")
class TrustedDocumentInfo:
    id: str = strawberry.field(description="sha256:<hex>, what the client sends as documentId.")
    client: str = strawberry.field(description="site-key:<id> or client:<client id>.")
    operation: str = strawberry.field(description="The document's first line.")
    created_at: datetime
