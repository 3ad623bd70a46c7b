"""Tokens from a tenant's own OpenID Connect provider: verified against the provider's
published keys (fetched over HTTP, cached, re-fetched when a token names an unknown key)
and mapped to a local account of the pool, created on first sign-in."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.caches import Cache, Caches, CacheSpec, each
from jobgraph.errors import Unauthenticated
from jobgraph.identity.emails import normalize_email
from jobgraph.identity.models import Account, ExternalIdentity
from jobgraph.identity.tokens import unverified_claims, unverified_header, verify_jwt
from jobgraph.tenancy.config import OidcProvider
from jobgraph.tenancy.registry import Tenant

_CACHE_FOR_S = 300.0
_REFETCH_GAP_S = 10.0


# Each provider's published keys, with when they were fetched.
PROVIDER_KEYS: CacheSpec[str, tuple[float, KeySet]] = CacheSpec(
    "provider_keys",
    key="a sign-in provider's JWKS address",
    max_bytes=4 * 2**20,
    weigh=each(16 * 1024),
)


class ProviderKeys:
    """The JWKS of each provider, per process: kept for five minutes, fetched again sooner
    when a token names a key they lack."""

    def __init__(self, caches: Caches | None = None, client: httpx.AsyncClient | None = None):
        self._client = client or httpx.AsyncClient(timeout=5.0)
        self._cache = caches.cache(PROVIDER_KEYS) if caches is not None else Cache(PROVIDER_KEYS)

    async def close(self) -> None:
        await self._client.aclose()

    async def keys_for(self, provider: OidcProvider, kid: str | None) -> KeySet:
        cached = self._cache.get(provider.jwks_uri)
        age = time.monotonic() - cached[0] if cached else 0.0
        known = cached is not None and any(key.kid == kid for key in cached[1].keys)
        if cached is None or age > _CACHE_FOR_S or (not known and age > _REFETCH_GAP_S):
            try:
                response = await self._client.get(provider.jwks_uri)
                response.raise_for_status()
                keys = KeySet.import_key_set(response.json())
            except (httpx.HTTPError, ValueError, JoseError) as error:
                if cached is None:
                    raise Unauthenticated(
                        "This site's sign-in provider cannot be reached to "
                        "check the token; try again shortly."
                    ) from error
                keys = cached[1]
            self._cache.put(provider.jwks_uri, (time.monotonic(), keys))
            return keys
        return cached[1]


def issued_by(token: str, provider: OidcProvider | None) -> bool:
    """Whether a bearer token claims to come from the tenant's provider (unverified)."""
    return provider is not None and unverified_claims(token).get("iss") == provider.issuer


# RFC 8176's authentication methods that are a second factor (or a key held on a device).
SECOND_FACTOR_METHODS = frozenset({"mfa", "otp", "hwk", "swk", "sms"})


async def account_for_external_token(
    db: AsyncSession, keys: ProviderKeys, tenant: Tenant, token: str, leeway: int
) -> tuple[uuid.UUID, bool]:
    """The account a provider's token signs in, and whether the provider says the person
    passed a second factor (its ``amr`` claim): staff who sign in there have no session
    here to pass one in."""
    provider = tenant.config.auth.oidc
    assert provider is not None
    key_set = await keys.keys_for(provider, unverified_header(token).get("kid"))
    claims = verify_jwt(
        token,
        key_set,
        provider.algorithms,
        issuer=provider.issuer,
        audience=provider.audience,
        leeway=leeway,
    )
    subject = str(claims["sub"])
    methods = claims.get("amr")
    second_factor = isinstance(methods, list) and bool(SECOND_FACTOR_METHODS & set(methods))
    identity = await db.scalar(
        select(ExternalIdentity).where(
            ExternalIdentity.issuer == provider.issuer, ExternalIdentity.subject == subject
        )
    )
    if identity is not None:
        return identity.account_id, second_factor
    email = claims.get(provider.email_claim)
    if not isinstance(email, str) or "@" not in email:
        raise Unauthenticated(
            f"The provider's token has no e-mail address in "
            f"'{provider.email_claim}'; it is needed to create your account."
        )
    account = await db.scalar(
        select(Account).where(Account.email_normalized == normalize_email(email))
    )
    if account is not None and claims.get("email_verified") is not True:
        raise Unauthenticated(
            "An account with this e-mail address exists here, and the "
            "provider has not verified the address; sign in with your "
            "password instead."
        )
    if account is not None and account.email_confirmed_at is None:
        # Registered but never confirmed: the provider has now proved the address, and
        # whatever credentials the account held came from someone who never did.
        account.password_hash = None
        account.email_confirmed_at = datetime.now(UTC)
    if account is None:
        name = claims.get(provider.name_claim)
        account = Account(
            pool_id=tenant.pool_id,
            tenant_slug=tenant.slug,
            email=email,
            email_normalized=normalize_email(email),
            password_hash=None,
            full_name=name if isinstance(name, str) else None,
            id=uuid.uuid4(),
        )
        db.add(account)
        await db.flush()
    db.add(
        ExternalIdentity(
            pool_id=tenant.pool_id, issuer=provider.issuer, subject=subject, account_id=account.id
        )
    )
    await db.flush()
    return account.id, second_factor
