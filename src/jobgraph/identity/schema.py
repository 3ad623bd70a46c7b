"""Identity's part of the schema: sign-up, sign-in, tokens, the signed-in account, roles,
and partner-site credentials."""

from __future__ import annotations

import strawberry

from jobgraph.agreements import documents
from jobgraph.errors import BadUserInput, Forbidden
from jobgraph.fields import Info, keyless, parse_id
from jobgraph.identity import accounts, partners, registration, roles, sessions
from jobgraph.identity.emails import normalize_email
from jobgraph.identity.inputs import RegisterInput
from jobgraph.identity.models import (
    OAuthClient as OAuthClientRow,
)
from jobgraph.identity.models import (
    SiteKey as SiteKeyRow,
)
from jobgraph.identity.tokens import OPERATOR_AUDIENCE
from jobgraph.identity.types import (
    AuthPayload,
    Me,
    Membership,
    OAuthClient,
    OAuthClientCreated,
    RegistrationStarted,
    Scope,
    SiteKey,
)
from jobgraph.permissions import (
    AccountHolder,
    Operator,
    OperatorVisitor,
    Visitor,
    staff,
)
from jobgraph.policy.staff import Power


def _payload(issued: sessions.IssuedTokens) -> AuthPayload:
    return AuthPayload(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
    )


async def _limit_sign_in(info: Info, email: str, accounts_of: str | None = None) -> None:
    """Per address, and per account: an account is one per pool, an operator one for the
    whole platform (``accounts_of="operators"``), whichever site the attempt comes from."""
    context = info.context
    settings, limiter = context.services.settings, context.services.limiter
    await limiter.hit(
        settings.login_limit_per_address,
        "sign-in-address",
        context.client_address,
        message="Too many sign-in attempts from your address.",
    )
    await limiter.hit(
        settings.login_limit_per_account,
        "sign-in-account",
        accounts_of or context.tenant.pool_id,
        normalize_email(email),
        message="Too many sign-in attempts for this account.",
    )


@strawberry.type
class IdentityQuery:
    @strawberry.field(
        permission_classes=[AccountHolder],
        description="The signed-in account, its roles on this site included.",
    )
    async def me(self, info: Info) -> Me:
        context = info.context
        account = await accounts.current(
            context.db, context.tenant, context.viewer.signed_in_account
        )
        memberships = await context.services.identity_hooks.memberships(
            context.db, context.tenant, account.id
        )
        return Me(
            id=strawberry.ID(str(account.id)),
            email=account.email,
            full_name=account.full_name,
            is_tenant_admin=context.viewer.tenant_admin,
            memberships=[
                Membership(
                    company_id=strawberry.ID(str(membership.company_id)),
                    company_name=membership.company_name,
                    role=membership.role,
                )
                for membership in memberships
            ],
        )

    @strawberry.field(
        permission_classes=[staff(Power.CONFIGURE_SITE)],
        description="This site's public site keys, revoked ones included.",
    )
    async def site_keys(self, info: Info) -> list[SiteKey]:
        rows = await partners.list_of(info.context.db, SiteKeyRow, info.context.tenant)
        return [SiteKey.of(row) for row in rows]

    @strawberry.field(
        permission_classes=[staff(Power.CONFIGURE_SITE)],
        description="This site's partner-server clients (never their secrets).",
    )
    async def oauth_clients(self, info: Info) -> list[OAuthClient]:
        rows = await partners.list_of(info.context.db, OAuthClientRow, info.context.tenant)
        return [OAuthClient.of(row) for row in rows]


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(
        permission_classes=[Visitor],
        metadata=keyless(),
        description="Sign up as a job seeker: the address gets an e-mail with a code for "
        "confirmRegistration (the same answer whether or not it has an account here).",
    )
    async def register(self, info: Info, input: RegisterInput) -> RegistrationStarted:
        context = info.context
        await context.services.limiter.hit(
            context.services.settings.login_limit_per_address,
            "sign-up-address",
            context.client_address,
            message="Too many sign-ups from your address.",
        )
        async with context.transaction() as db:
            accepted = [parse_id(i, "acceptedDocumentIds") for i in input.accepted_document_ids]
            await documents.check_registration_acceptance(db, context.tenant, accepted)
            account, created = await accounts.register(
                db, context.tenant, input.email, input.password, input.full_name
            )
            if created:
                await documents.accept(db, context.tenant, account.id, accepted)
            await registration.mail_the_address(
                db, context.tenant, context.services.settings.secret_key, account, created
            )
        return RegistrationStarted(
            email=input.email.strip(),  # as given: the stored spelling would tell it exists
            message="Check your e-mail: we sent you a message to finish signing up.",
        )

    @strawberry.mutation(
        permission_classes=[Visitor],
        metadata=keyless(),
        description="Confirm your e-mail address with the code registration sent to it, "
        "and sign in.",
    )
    async def confirm_registration(self, info: Info, token: str) -> AuthPayload:
        context = info.context
        async with context.transaction() as db:
            account = await registration.confirm(
                db, context.tenant, context.services.settings.secret_key, token
            )
            issued = await sessions.start_session(
                db, context.services.tokens, context.tenant, account
            )
        return _payload(issued)

    @strawberry.mutation(
        permission_classes=[Visitor],
        metadata=keyless(),
        description="Sign in with e-mail address and password.",
    )
    async def login(self, info: Info, email: str, password: str) -> AuthPayload:
        context = info.context
        if not context.tenant.config.auth.password_login:
            raise Forbidden("This site signs you in through its own provider, not with a password.")
        await _limit_sign_in(info, email)
        async with context.transaction() as db:
            account = await accounts.authenticate(db, email, password)
            issued = await sessions.start_session(
                db, context.services.tokens, context.tenant, account
            )
        return _payload(issued)

    @strawberry.mutation(
        permission_classes=[Visitor],
        metadata=keyless(),
        description="Trade a refresh token for a new access and refresh "
        "token. Each refresh token works once.",
    )
    async def refresh_token(self, info: Info, refresh_token: str) -> AuthPayload:
        context = info.context
        try:
            async with context.transaction() as db:
                issued = await sessions.rotate(
                    db, context.services.tokens, context.tenant, refresh_token
                )
        except sessions.RefreshReused as reused:
            # The revocation must stand although the request fails: commit it alone.
            async with context.transaction() as db:
                await sessions.revoke(db, reused.session_id, "refresh token reused")
            raise
        return _payload(issued)

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Sign out: ends this session and its refresh token.",
    )
    async def logout(self, info: Info) -> bool:
        session_id = info.context.viewer.session_id
        if session_id is None:
            raise BadUserInput(
                "This token belongs to no session here (it came from your "
                "sign-in provider): sign out there."
            )
        async with info.context.transaction() as db:
            await sessions.revoke(db, session_id, "signed out")
        return True

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Change your password; signs out your other sessions.",
    )
    async def change_password(self, info: Info, current_password: str, new_password: str) -> bool:
        context = info.context
        async with context.transaction() as db:
            account = await accounts.current(db, context.tenant, context.viewer.signed_in_account)
            await accounts.change_password(
                db, context.tenant, account, current_password, new_password
            )
            await sessions.revoke_all_but(
                db, account.id, context.viewer.session_id, "password changed"
            )
        return True

    @strawberry.mutation(
        permission_classes=[OperatorVisitor],
        metadata=keyless(),
        description="Sign in as a platform operator (valid on every site).",
    )
    async def operator_login(self, info: Info, email: str, password: str) -> AuthPayload:
        context = info.context
        await _limit_sign_in(info, email, accounts_of="operators")
        async with context.transaction() as db:
            operator = await accounts.authenticate_operator(db, email, password)
            session = await sessions.start_operator_session(db, operator.id)
        token = await context.services.tokens.issue(
            subject=f"operator:{operator.id}",
            audience=OPERATOR_AUDIENCE,
            extra={"typ": "operator", "sid": str(session.id)},
        )
        return AuthPayload(
            access_token=token,
            refresh_token=None,
            expires_in=context.services.settings.access_token_ttl_s,
        )

    @strawberry.mutation(permission_classes=[Operator], description="End the operator session.")
    async def operator_logout(self, info: Info) -> bool:
        session_id = info.context.viewer.session_id
        async with info.context.transaction() as db:
            if session_id is not None:
                await sessions.end_operator_session(db, session_id)
        return True

    @strawberry.mutation(
        permission_classes=[staff(Power.GRANT_SITE_ADMIN)],
        description="Make an account of this site's pool an admin of this site.",
    )
    async def grant_tenant_admin(self, info: Info, email: str) -> bool:
        context = info.context
        async with context.transaction() as db:
            account = await accounts.existing(db, email)
            await roles.grant_tenant_admin(db, context.tenant, account.id, context.viewer.actor)
        return True

    @strawberry.mutation(
        permission_classes=[staff(Power.GRANT_SITE_ADMIN)],
        description="Take this site's admin role from an account.",
    )
    async def revoke_tenant_admin(self, info: Info, email: str) -> bool:
        context = info.context
        async with context.transaction() as db:
            account = await accounts.existing(db, email)
            await roles.revoke_tenant_admin(db, context.tenant, account.id)
        return True

    @strawberry.mutation(
        permission_classes=[staff(Power.CONFIGURE_SITE)],
        description="Create a public key for a partner site's pages.",
    )
    async def create_site_key(self, info: Info, name: str) -> SiteKey:
        async with info.context.transaction() as db:
            row = await partners.create_site_key(db, info.context.tenant, info.context.viewer, name)
        return SiteKey.of(row)

    @strawberry.mutation(
        permission_classes=[staff(Power.CONFIGURE_SITE)],
        description="Revoke a site key; pages using it stop working at once.",
    )
    async def revoke_site_key(self, info: Info, id: strawberry.ID) -> SiteKey:
        async with info.context.transaction() as db:
            row = await partners.revoke(db, SiteKeyRow, info.context.tenant, parse_id(id, "id"))
        return SiteKey.of(row)

    @strawberry.mutation(
        name="createOAuthClient",
        permission_classes=[staff(Power.CONFIGURE_SITE)],
        description="Create a client for a partner's server. The secret is in this response only.",
    )
    async def create_oauth_client(
        self, info: Info, name: str, scopes: list[Scope]
    ) -> OAuthClientCreated:
        async with info.context.transaction() as db:
            row, secret = await partners.create_client(
                db, info.context.tenant, info.context.viewer, name, scopes
            )
        return OAuthClientCreated(client=OAuthClient.of(row), client_secret=secret)

    @strawberry.mutation(
        name="revokeOAuthClient",
        permission_classes=[staff(Power.CONFIGURE_SITE)],
        description="Revoke a client; its tokens stop working at once.",
    )
    async def revoke_oauth_client(self, info: Info, id: strawberry.ID) -> OAuthClient:
        async with info.context.transaction() as db:
            row = await partners.revoke(db, OAuthClientRow, info.context.tenant, parse_id(id, "id"))
        return OAuthClient.of(row)


__all__ = ["IdentityMutation", "IdentityQuery"]
