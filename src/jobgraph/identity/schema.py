"""Identity's part of the schema: sign-up, sign-in, tokens, the signed-in account, roles,
and partner-site credentials."""

from __future__ import annotations

from typing import Annotated

import strawberry

from jobgraph.agreements import documents
from jobgraph.errors import BadUserInput, Forbidden
from jobgraph.fields import Info, keyless, parse_id, show_id
from jobgraph.identity import (
    accounts,
    partners,
    recovery,
    registration,
    roles,
    second_factor,
    sessions,
    trusted_documents,
)
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
    CodeMailed,
    Me,
    Membership,
    OAuthClient,
    OAuthClientCreated,
    RegistrationStarted,
    Scope,
    SecondFactorEnrolment,
    SignInSession,
    SiteKey,
    SiteRoleEntry,
    TrustedDocumentInfo,
)
from jobgraph.paging import page_size
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


async def _limit_second_factor(info: Info) -> None:
    """Six digits are guessed by trying: as few tries per account as sign-in allows."""
    context = info.context
    await context.services.limiter.hit(
        context.services.settings.login_limit_per_account,
        "second-factor",
        str(context.viewer.signed_in_account),
        message="Too many second-factor codes tried for this account.",
    )


def _client(info: Info) -> sessions.Client:
    context = info.context
    return sessions.Client(context.request.headers.get("user-agent"), context.client_address)


def _password_sign_in(info: Info) -> None:
    if not info.context.tenant.config.auth.password_login:
        raise Forbidden("This site signs you in through its own provider, not with a password.")


async def _limit_mail(info: Info, kind: str, email: str, what: str) -> None:
    """Per client address, and per recipient: nobody floods a stranger's inbox."""
    context = info.context
    settings, limiter = context.services.settings, context.services.limiter
    await limiter.hit(
        settings.login_limit_per_address,
        kind,
        context.client_address,
        message=f"Too many {what} from your address.",
    )
    await limiter.hit(
        settings.mail_limit_per_recipient,
        "mail-recipient",
        context.tenant.pool_id,
        normalize_email(email),
        message=f"Too many requests for {email.strip()[:80]} lately.",
    )


async def _me(info: Info, *, tenant_admin: bool | None = None) -> Me:
    """The signed-in account; ``tenant_admin`` where this request just changed it."""
    context = info.context
    account = await accounts.current(context.db, context.tenant, context.viewer.signed_in_account)
    memberships = await context.services.identity_hooks.memberships(
        context.db, context.tenant, account.id
    )
    return Me(
        id=show_id(account.id),
        email=account.email,
        full_name=account.full_name,
        is_tenant_admin=context.viewer.tenant_admin if tenant_admin is None else tenant_admin,
        second_factor_enrolled=account.second_factor_enrolled_at is not None,
        second_factor_verified=context.viewer.second_factor_fresh,
        memberships=[
            Membership(
                company_id=show_id(membership.company_id),
                company_name=membership.company_name,
                role=membership.role,
            )
            for membership in memberships
        ],
    )


@strawberry.type
class IdentityQuery:
    @strawberry.field(
        permission_classes=[AccountHolder],
        description="The signed-in account, its roles on this site included.",
    )
    async def me(self, info: Info) -> Me:
        return await _me(info)

    @strawberry.field(
        permission_classes=[AccountHolder],
        description="Your sessions still signed in, on every site of this pool, the most "
        "recently used first: end one you do not recognise with endSession.",
    )
    async def my_sessions(self, info: Info) -> list[SignInSession]:
        context = info.context
        rows = await sessions.live_sessions(context.db, context.viewer.signed_in_account)
        return [
            SignInSession(
                id=show_id(row.id),
                site=row.tenant_slug,
                created_at=row.created_at,
                last_used_at=row.last_used_at,
                user_agent=row.user_agent,
                address=row.client_address,
                current=row.id == context.viewer.session_id,
            )
            for row in rows
        ]

    @strawberry.field(
        permission_classes=[staff(Power.GRANT_SITE_ADMIN)],
        description="Who was invited to administer this site, who accepted and who lost the "
        "role, by whom; newest first.",
    )
    async def tenant_admin_history(self, info: Info, first: int = 50) -> list[SiteRoleEntry]:
        context = info.context
        rows = await roles.admin_history(
            context.db, context.tenant, page_size(context.tenant.max_page_size, first)
        )
        names = await accounts.actor_names(context.db, [row.actor for row in rows])
        return [
            SiteRoleEntry(
                event=row.event,
                email=row.email,
                actor_name=names.get(row.actor, row.actor),
                at=row.created_at,
            )
            for row in rows
        ]

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
        await _limit_mail(info, "sign-up-address", input.email, "sign-ups")
        async with context.transaction() as db:
            accepted = [parse_id(i, "acceptedDocumentIds") for i in input.accepted_document_ids]
            await documents.check_registration_acceptance(db, context.tenant, accepted)
            await registration.register(
                db, context.tenant, input.email, input.password, input.full_name, accepted
            )
        return RegistrationStarted(
            email=input.email.strip(),  # as given: the stored spelling would tell it exists
            message="Check your e-mail: we sent you a message to finish signing up.",
        )

    @strawberry.mutation(
        permission_classes=[Visitor],
        metadata=keyless(),
        description="Confirm your e-mail address with the code registration sent to it, "
        "and sign in. The account is made now, with the password of the registration "
        "whose code this is; each code works once, and only the newest of an address.",
    )
    async def confirm_registration(self, info: Info, token: str) -> AuthPayload:
        context = info.context
        async with context.transaction() as db:
            account, accepted = await registration.confirm(db, context.tenant, token)
            await documents.accept_confirmed_registration(db, context.tenant, account.id, accepted)
            issued = await sessions.start_session(
                db, context.services.tokens, context.tenant, account, _client(info)
            )
        return _payload(issued)

    @strawberry.mutation(
        permission_classes=[Visitor],
        metadata=keyless(),
        description="Forgot your password: the account of this address gets an e-mail with "
        "a code for resetPassword, valid for an hour (the same answer whatever the address).",
    )
    async def request_password_reset(self, info: Info, email: str) -> CodeMailed:
        context = info.context
        _password_sign_in(info)
        await _limit_mail(info, "reset-address", email, "password resets")
        async with context.transaction() as db:
            await recovery.request_password_reset(db, context.tenant, email)
        return CodeMailed(
            email=email.strip(),
            message="If an account has this address, we e-mailed it a code to reset its password.",
        )

    @strawberry.mutation(
        permission_classes=[Visitor],
        metadata=keyless(),
        description="Set a new password with the code requestPasswordReset mailed. Every "
        "session of the account is signed out; sign in with the new password.",
    )
    async def reset_password(self, info: Info, token: str, new_password: str) -> bool:
        context = info.context
        _password_sign_in(info)
        async with context.transaction() as db:
            await recovery.reset_password(db, context.tenant, token, new_password)
        return True

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Move your account to another e-mail address: the new address gets a "
        "code for confirmEmailChange, the current one a notice.",
    )
    async def request_email_change(
        self, info: Info, new_email: str, current_password: str
    ) -> CodeMailed:
        context = info.context
        await _limit_mail(info, "change-address", new_email, "address changes")
        async with context.transaction() as db:
            account = await accounts.confirmed_by_password(
                db, context.tenant, context.viewer.signed_in_account, current_password
            )
            await recovery.request_email_change(db, context.tenant, account, new_email)
        return CodeMailed(
            email=new_email.strip(),
            message="We e-mailed the new address a code: your address changes once you enter it.",
        )

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Confirm the move to a new e-mail address with the code mailed there.",
    )
    async def confirm_email_change(self, info: Info, token: str) -> Me:
        context = info.context
        async with context.transaction() as db:
            account = await accounts.current(db, context.tenant, context.viewer.signed_in_account)
            await recovery.confirm_email_change(db, context.tenant, account, token)
        return await _me(info)

    @strawberry.mutation(
        permission_classes=[Visitor],
        metadata=keyless(),
        description="Sign in with e-mail address and password.",
    )
    async def login(self, info: Info, email: str, password: str) -> AuthPayload:
        context = info.context
        _password_sign_in(info)
        await _limit_sign_in(info, email)
        async with context.transaction() as db:
            account = await accounts.authenticate(db, email, password)
            issued = await sessions.start_session(
                db, context.services.tokens, context.tenant, account, _client(info)
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
                    db, context.services.tokens, context.tenant, refresh_token, _client(info)
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
        description="Start enrolling an authenticator app as your second factor (staff need "
        "one): scan the QR code, then confirmSecondFactor with the code it shows. Replacing "
        "an enrolled one needs a session that passed it.",
    )
    async def enrol_second_factor(self, info: Info, current_password: str) -> SecondFactorEnrolment:
        context = info.context
        async with context.transaction() as db:
            account = await accounts.confirmed_by_password(
                db, context.tenant, context.viewer.signed_in_account, current_password
            )
            if account.second_factor_enrolled_at and not context.viewer.second_factor_fresh:
                raise Forbidden(
                    "You have a second factor already: verify with it (verifySecondFactor) "
                    "before replacing it.",
                    reason="SECOND_FACTOR_REQUIRED",
                )
            enrolment = second_factor.start_enrolment(
                account,
                context.services.settings.secret_key,
                account.email,
                context.tenant.config.branding.site_name,
            )
        return SecondFactorEnrolment(
            secret=enrolment.secret, uri=enrolment.uri, qr_code_svg=enrolment.qr_code_svg
        )

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Finish enrolling with a code from the app: returns your recovery codes, "
        "shown this once (each replaces the app once, for a lost phone). This session counts "
        "as verified.",
    )
    async def confirm_second_factor(self, info: Info, code: str) -> list[str]:
        context = info.context
        await _limit_second_factor(info)
        async with context.transaction() as db:
            account = await accounts.current(db, context.tenant, context.viewer.signed_in_account)
            recovery_codes = second_factor.finish_enrolment(
                account, context.services.settings.secret_key, code
            )
            await sessions.passed_second_factor(db, context.viewer.session_id)
        return recovery_codes

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Enter the code of your authenticator app (or a recovery code, used up "
        "by this): this session may use staff powers for the next 12 hours.",
    )
    async def verify_second_factor(self, info: Info, code: str) -> Me:
        context = info.context
        await _limit_second_factor(info)
        async with context.transaction() as db:
            account = await accounts.current(db, context.tenant, context.viewer.signed_in_account)
            second_factor.check(account, context.services.settings.secret_key, code)
            await sessions.passed_second_factor(db, context.viewer.session_id)
        me = await _me(info)
        me.second_factor_verified = True
        return me

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Sign out one of your sessions (mySessions), wherever it is.",
    )
    async def end_session(self, info: Info, id: strawberry.ID) -> bool:
        context = info.context
        async with context.transaction() as db:
            await sessions.end_own_session(db, context.viewer.signed_in_account, parse_id(id, "id"))
        return True

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Sign out every session of yours but this one.",
    )
    async def end_other_sessions(self, info: Info) -> bool:
        context = info.context
        async with context.transaction() as db:
            await sessions.revoke_all_but(
                db,
                context.viewer.signed_in_account,
                context.viewer.session_id,
                "ended by its owner",
            )
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
            await recovery.notify_password_changed(db, context.tenant, account)
        return True

    @strawberry.mutation(
        permission_classes=[OperatorVisitor],
        metadata=keyless(),
        description="Sign in as a platform operator (valid on every site), with the code of "
        "the operator's authenticator app: operators always need their second factor.",
    )
    async def operator_login(
        self,
        info: Info,
        email: str,
        password: str,
        code: Annotated[
            str,
            strawberry.argument(
                description="The code of the operator's authenticator app, or a recovery code."
            ),
        ],
    ) -> AuthPayload:
        context = info.context
        await _limit_sign_in(info, email, accounts_of="operators")
        async with context.transaction() as db:
            operator = await accounts.authenticate_operator(db, email, password)
            if operator.second_factor_enrolled_at is None:
                raise Forbidden(
                    "This operator has no second factor: run `jobgraph operators create "
                    f"{email.strip()}` to enrol one, then sign in with its code."
                )
            second_factor.check(operator, context.services.settings.secret_key, code)
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
        description="Invite an address to administer this site: it gets an e-mail with a "
        "code for acceptTenantAdmin, which makes it an admin once accepted while signed in "
        "with that address (the same answer whatever the address; a newer invitation "
        "replaces an older one).",
    )
    async def grant_tenant_admin(self, info: Info, email: str) -> bool:
        context = info.context
        async with context.transaction() as db:
            await roles.invite_tenant_admin(db, context.tenant, email, context.viewer.actor)
        return True

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Become an admin of this site with the invitation mailed to your address.",
    )
    async def accept_tenant_admin(self, info: Info, token: str) -> Me:
        context = info.context
        async with context.transaction() as db:
            account = await accounts.current(db, context.tenant, context.viewer.signed_in_account)
            await roles.accept_tenant_admin(db, context.tenant, account, token)
        return await _me(info, tenant_admin=True)

    @strawberry.mutation(
        permission_classes=[staff(Power.GRANT_SITE_ADMIN)],
        description="Take this site's admin role from an address, and withdraw any "
        "invitation it has not accepted (the same answer whatever the address).",
    )
    async def revoke_tenant_admin(self, info: Info, email: str) -> bool:
        context = info.context
        async with context.transaction() as db:
            await roles.revoke_tenant_admin_of(db, context.tenant, email, context.viewer.actor)
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


# Trusted documents: what a site's partner clients registered (identity/trusted_documents.py).
@strawberry.type
class TrustedDocumentsQuery:
    @strawberry.field(
        permission_classes=[staff(Power.CONFIGURE_SITE)],
        description="The documents this site's partner clients registered, oldest first.",
    )
    async def trusted_documents(self, info: Info) -> list[TrustedDocumentInfo]:
        rows = await trusted_documents.listed(info.context.db, info.context.tenant)
        return [
            TrustedDocumentInfo(
                id="sha256:" + row.document_hash,
                client=row.client,
                operation=row.document.strip().splitlines()[0][:200],
                created_at=row.created_at,
            )
            for row in rows
        ]


@strawberry.type
class TrustedDocumentsMutation:
    @strawberry.mutation(
        permission_classes=[staff(Power.CONFIGURE_SITE)],
        description="Register the documents a partner client may run (client: its site "
        "key's id or its OAuth client id); returns their ids, sha256:<hex>.",
    )
    async def register_trusted_documents(
        self, info: Info, client: str, documents: list[str]
    ) -> list[str]:
        context = info.context
        async with context.transaction() as db:
            actor = await partners.actor_of_client(db, context.tenant, client)
            return await trusted_documents.register(
                db, context.tenant, actor, documents, context.viewer.actor
            )
