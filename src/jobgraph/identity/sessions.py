"""Sign-in sessions: an access token plus an opaque refresh token, rotated on every use.
A refresh token used twice means it was stolen: its whole family (the session) is revoked."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.db.engine import rows_changed
from jobgraph.errors import Forbidden, NotFound, Unauthenticated
from jobgraph.identity.models import (
    Account,
    AuthSession,
    CompanyMember,
    OperatorSession,
    RefreshToken,
    TenantAdmin,
)
from jobgraph.identity.tokens import TokenService, new_opaque_secret, secret_digest
from jobgraph.tenancy.registry import Tenant

ENDED_BY_OWNER = "ended by its owner"


@dataclass(frozen=True)
class Client:
    """Where a sign-in or a refresh came from, as its owner will see it in mySessions."""

    user_agent: str | None
    address: str

    def stamp(self, session: AuthSession) -> None:
        session.last_used_at = datetime.now(UTC)
        session.user_agent = (self.user_agent or "")[:300] or None
        session.client_address = self.address[:64]


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str | None
    expires_in: int
    account_id: uuid.UUID | None = None


async def roles_of(db: AsyncSession, tenant: Tenant, account_id: uuid.UUID) -> list[str]:
    """The roles an access token states, for its readers. Authorization never trusts them:
    each request reads the roles afresh, so a revoked role ends at once."""
    admin = select(TenantAdmin.account_id).where(
        TenantAdmin.account_id == account_id, TenantAdmin.tenant_slug == tenant.slug
    )
    member = select(CompanyMember.account_id).where(CompanyMember.account_id == account_id)
    row = (await db.execute(select(admin.exists(), member.exists()))).one()
    return ["SEEKER"] + (["TENANT_ADMIN"] if row[0] else []) + (["EMPLOYER"] if row[1] else [])


async def access_token_for(
    db: AsyncSession,
    tokens: TokenService,
    tenant: Tenant,
    account_id: uuid.UUID,
    session_id: uuid.UUID | None,
) -> str:
    extra = {
        "typ": "account",
        "pool": tenant.pool_id,
        "roles": await roles_of(db, tenant, account_id),
    }
    if session_id is not None:
        extra["sid"] = str(session_id)
    return await tokens.issue(subject=str(account_id), audience=tenant.slug, extra=extra)


async def start_session(
    db: AsyncSession, tokens: TokenService, tenant: Tenant, account: Account, client: Client
) -> IssuedTokens:
    session = AuthSession(
        pool_id=tenant.pool_id, tenant_slug=tenant.slug, account_id=account.id, id=uuid.uuid4()
    )
    client.stamp(session)
    db.add(session)
    await db.flush()
    refresh = await _new_refresh_token(db, tokens, tenant, session.id)
    access = await access_token_for(db, tokens, tenant, account.id, session.id)
    return IssuedTokens(access, refresh, tokens.settings.access_token_ttl_s, account.id)


async def _new_refresh_token(
    db: AsyncSession, tokens: TokenService, tenant: Tenant, session_id: uuid.UUID
) -> str:
    secret = new_opaque_secret("rt")
    db.add(
        RefreshToken(
            pool_id=tenant.pool_id,
            tenant_slug=tenant.slug,
            session_id=session_id,
            token_hash=secret_digest(secret),
            expires_at=datetime.now(UTC) + timedelta(seconds=tokens.settings.refresh_token_ttl_s),
        )
    )
    await db.flush()
    return secret


class RefreshReused(Unauthenticated):
    """A used refresh token came back: the caller revokes ``session_id`` and commits that,
    although the request itself fails."""

    def __init__(self, session_id: uuid.UUID) -> None:
        super().__init__(
            "This refresh token was already used, so it may have been stolen: "
            "the session is now signed out everywhere. Sign in again."
        )
        self.session_id = session_id


async def rotate(
    db: AsyncSession, tokens: TokenService, tenant: Tenant, refresh_token: str, client: Client
) -> IssuedTokens:
    """Trade a refresh token for a new pair (the caller commits)."""
    row = await db.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == secret_digest(refresh_token))
        .with_for_update()
    )
    if row is None:
        raise Unauthenticated("The refresh token is not valid; sign in again.")
    session = await db.scalar(
        select(AuthSession).where(AuthSession.id == row.session_id).with_for_update()
    )
    assert session is not None
    if session.revoked_at is not None:
        raise Unauthenticated("This session has ended; sign in again.")
    if row.used_at is not None:
        raise RefreshReused(session.id)
    if row.expires_at <= datetime.now(UTC):
        raise Unauthenticated("The refresh token has expired; sign in again.")
    if session.tenant_slug != tenant.slug:
        raise Unauthenticated("This refresh token belongs to another site; sign in here.")
    row.used_at = datetime.now(UTC)
    client.stamp(session)
    refresh = await _new_refresh_token(db, tokens, tenant, session.id)
    access = await access_token_for(db, tokens, tenant, session.account_id, session.id)
    return IssuedTokens(access, refresh, tokens.settings.access_token_ttl_s, session.account_id)


async def revoke(db: AsyncSession, session_id: uuid.UUID, reason: str) -> None:
    await db.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC), revoked_reason=reason)
    )


async def revoke_all_but(
    db: AsyncSession, account_id: uuid.UUID, keep: uuid.UUID | None, reason: str
) -> None:
    query = update(AuthSession).where(
        AuthSession.account_id == account_id, AuthSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    await db.execute(query.values(revoked_at=datetime.now(UTC), revoked_reason=reason))


async def passed_second_factor(db: AsyncSession, session_id: uuid.UUID | None) -> None:
    """The session passed the second factor now. A token without a session (from the
    site's sign-in provider) has nowhere to keep it: sign in with a password instead."""
    if session_id is None:
        raise Forbidden(
            "This token belongs to no session here (it came from your sign-in provider): "
            "sign in with your password to use a second factor."
        )
    await db.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id)
        .values(second_factor_at=datetime.now(UTC))
    )


async def live_sessions(db: AsyncSession, account_id: uuid.UUID) -> list[AuthSession]:
    """The account's sessions not signed out, the most recently used first."""
    rows = await db.scalars(
        select(AuthSession)
        .where(AuthSession.account_id == account_id, AuthSession.revoked_at.is_(None))
        .order_by(AuthSession.last_used_at.desc().nulls_last(), AuthSession.created_at.desc())
    )
    return list(rows.all())


async def end_own_session(db: AsyncSession, account_id: uuid.UUID, session_id: uuid.UUID) -> None:
    """Sign out one of the account's own sessions (another browser, a lost phone)."""
    ended = await rows_changed(
        db,
        update(AuthSession)
        .where(
            AuthSession.id == session_id,
            AuthSession.account_id == account_id,
            AuthSession.revoked_at.is_(None),
        )
        .values(revoked_at=datetime.now(UTC), revoked_reason=ENDED_BY_OWNER),
    )
    if ended == 0:
        raise NotFound("You have no session with this id that is still signed in.", field="id")


async def start_operator_session(db: AsyncSession, operator_id: uuid.UUID) -> OperatorSession:
    """An operator's sign-in, which passed the second factor (operators always do)."""
    session = OperatorSession(
        id=uuid.uuid4(), operator_id=operator_id, second_factor_at=datetime.now(UTC)
    )
    db.add(session)
    return session


async def end_operator_session(db: AsyncSession, session_id: uuid.UUID) -> None:
    session = await db.get(OperatorSession, session_id)
    if session is not None and session.revoked_at is None:
        session.revoked_at = datetime.now(UTC)
