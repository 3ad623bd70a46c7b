"""Who may act: accounts (one per person per pool), their roles as data, sessions and
refresh tokens, partner-site keys and clients, external identities, and the platform's
own operators and signing keys (platform tables, outside any pool)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from jobgraph.db.models import Base, PoolOwned


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


def _account_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["pool_id", "account_id"], ["accounts.pool_id", "accounts.id"], ondelete="CASCADE"
    )


class SecondFactorHolder:
    """Who may enrol a second factor (staff: site admins' accounts, operators): a TOTP
    secret, sealed with the service's secret key; enrolled once a code from it was
    checked; and the digests of the recovery codes not used yet."""

    totp_secret: Mapped[str | None] = mapped_column(String(300))
    second_factor_enrolled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recovery_code_hashes: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), server_default=text("'{}'")
    )


class Account(SecondFactorHolder, PoolOwned, Base):
    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("pool_id", "email_normalized"),)

    email: Mapped[str] = mapped_column(String(254))
    email_normalized: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    full_name: Mapped[str | None] = mapped_column(String(200))
    # Null only for accounts registered before registrations waited for their code
    # (migration 0021): confirming completes them with the confirmed registration's
    # credentials.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class MailedCode(PoolOwned, Base):
    """A code mailed to an address, proving whoever uses it controls that address. It
    works once (``used_at``), until it expires, and only while it is the newest of its
    purpose and subject (``superseded_at``): what it grants travels with it (``detail``:
    a registration's credentials, an invitation's role), never in the code itself."""

    __tablename__ = "mailed_codes"
    __table_args__ = (
        UniqueConstraint("pool_id", "code_hash"),
        Index("ix_mailed_codes_subject", "pool_id", "purpose", "subject"),
    )

    purpose: Mapped[str] = mapped_column(String(30))
    # Whom or what the code is about: an address, an account, a company and an address.
    subject: Mapped[str] = mapped_column(String(400))
    # The address it was mailed to (normalized): erasing the address erases its codes.
    recipient: Mapped[str] = mapped_column(String(254))
    code_hash: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SiteRoleEvent(PoolOwned, Base):
    """One step in the history of a site's admin role: INVITED, ACCEPTED or REVOKED, for
    an address, by an actor ("account:<id>", "operator:<id>")."""

    __tablename__ = "site_role_events"
    __table_args__ = (Index("ix_site_role_events_site", "pool_id", "tenant_slug", "created_at"),)

    event: Mapped[str] = mapped_column(String(20))
    email: Mapped[str] = mapped_column(String(254))
    actor: Mapped[str] = mapped_column(String(100))


class TenantAdmin(Base):
    """The role 'tenant admin' of one tenant, granted to an account of its pool."""

    __tablename__ = "tenant_admins"
    __table_args__ = (_account_fk(),)

    pool_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_slug: Mapped[str] = mapped_column(String(63), primary_key=True)
    granted_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = _now()


class MemberRole(StrEnum):
    OWNER = "OWNER"  # manages the company's members (and its webhooks)
    MEMBER = "MEMBER"


class CompanyMember(Base):
    """An account acting for an employer organisation (a company of the pool)."""

    __tablename__ = "company_members"
    __table_args__ = (
        _account_fk(),
        ForeignKeyConstraint(
            ["pool_id", "company_id"], ["companies.pool_id", "companies.id"], ondelete="CASCADE"
        ),
        Index("ix_company_members_pool_id_account_id", "pool_id", "account_id"),
    )

    pool_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))  # OWNER or MEMBER
    granted_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = _now()


class AuthSession(PoolOwned, Base):
    """One sign-in: the family of its rotating refresh tokens. Revoking it ends them all,
    and the access tokens that name it."""

    __tablename__ = "auth_sessions"
    __table_args__ = (_account_fk(),)

    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(50))
    # Set at sign-in and at each refresh (not at each request: that would cost a write
    # per request), so "last used" is at most one access token's lifetime old.
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    client_address: Mapped[str | None] = mapped_column(String(64))
    # When this session last passed the second factor (staff powers need it recently).
    second_factor_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RefreshToken(PoolOwned, Base):
    __tablename__ = "refresh_tokens"
    __table_args__ = (
        ForeignKeyConstraint(
            ["pool_id", "session_id"],
            ["auth_sessions.pool_id", "auth_sessions.id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("pool_id", "token_hash"),
        Index("ix_refresh_tokens_pool_id_session_id", "pool_id", "session_id"),
    )

    session_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    token_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ExternalIdentity(Base):
    """An account signed in through the tenant's own OpenID Connect provider."""

    __tablename__ = "external_identities"
    __table_args__ = (_account_fk(),)

    pool_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = _now()


class PartnerCredential(PoolOwned):
    """What a partner site's key and a partner server's client have in common."""

    name: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SiteKey(PartnerCredential, Base):
    """A public key a partner site embeds in its pages: read-only, bound to origins."""

    __tablename__ = "site_keys"
    __table_args__ = (UniqueConstraint("pool_id", "key"),)

    key: Mapped[str] = mapped_column(String(64))


class OAuthClient(PartnerCredential, Base):
    """A partner server using the client-credentials grant. Its secret is stored hashed."""

    __tablename__ = "oauth_clients"
    __table_args__ = (UniqueConstraint("pool_id", "client_id"),)

    client_id: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(50)))


class Operator(SecondFactorHolder, Base):
    """A platform operator: acts on every tenant; not an account of any pool."""

    __tablename__ = "operators"

    id: Mapped[uuid.UUID] = _uuid_pk()
    email_normalized: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = _now()


class OperatorSession(Base):
    __tablename__ = "operator_sessions"

    id: Mapped[uuid.UUID] = _uuid_pk()
    operator_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("operators.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = _now()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    second_factor_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SigningKey(Base):
    """A key that signs access tokens. The newest active key signs; older keys stay in the
    JWKS until the tokens they signed have expired, so rotation logs nobody out."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(10))
    private_key: Mapped[str] = mapped_column(String(4000))  # encrypted with the secret key
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = _now()
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TrustedDocument(PoolOwned, Base):
    """A GraphQL document a partner client registered; with its tenant's
    ``trusted_documents_only`` the client may run nothing else."""

    __tablename__ = "trusted_documents"
    __table_args__ = (UniqueConstraint("pool_id", "tenant_slug", "client", "document_hash"),)

    client: Mapped[str] = mapped_column(String(100))  # the viewer's actor: site-key:… client:…
    document_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the document text
    document: Mapped[str] = mapped_column(String(20000))
    created_by: Mapped[str] = mapped_column(String(100))
