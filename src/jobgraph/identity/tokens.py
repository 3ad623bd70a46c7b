"""Access tokens: short-lived ES256 JWTs that jobgraph signs, and the checks every token
must pass. Algorithms are pinned (no ``none``, no HMAC with a public key), and ``iss``,
``aud``, ``exp`` and ``nbf`` are checked with a small leeway. Every refusal is an
``Unauthenticated`` error that says what is wrong, never a crash."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Collection
from typing import Any

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError, MissingClaimError
from joserfc.jwk import ECKey, KeySet
from joserfc.jwt import JWTClaimsRegistry

from jobgraph.errors import Unauthenticated
from jobgraph.identity.keys import ALGORITHM, KeyRing
from jobgraph.settings import Settings

OPERATOR_AUDIENCE = "jobgraph:operators"


def _unverified_part(token: str, index: int) -> dict[str, Any]:
    try:
        segment = token.split(".")[index]
        part = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, IndexError) as error:
        raise Unauthenticated("The access token is malformed; sign in again.") from error
    if not isinstance(part, dict):
        raise Unauthenticated("The access token is malformed; sign in again.")
    return part


def unverified_header(token: str) -> dict[str, Any]:
    return _unverified_part(token, 0)


def unverified_claims(token: str) -> dict[str, Any]:
    """Only to choose how to verify a token; never to trust what it says."""
    return _unverified_part(token, 1)


def verify_jwt(
    token: str,
    keys: KeySet,
    algorithms: Collection[str],
    *,
    issuer: str,
    audience: str | Collection[str],
    leeway: int,
) -> dict[str, Any]:
    """Signature and registered claims, or ``Unauthenticated`` naming the failed check."""
    header = unverified_header(token)
    if header.get("alg") not in algorithms:
        raise Unauthenticated(
            f"The access token's algorithm {header.get('alg')!r} is not accepted here."
        )
    try:
        decoded = jwt.decode(token, keys, algorithms=list(algorithms))
    except JoseError as error:
        raise Unauthenticated(
            "The access token's signature is not valid; sign in again."
        ) from error
    audiences = [audience] if isinstance(audience, str) else list(audience)
    registry = JWTClaimsRegistry(
        leeway=leeway,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "values": audiences},
        exp={"essential": True},
        sub={"essential": True},
    )
    try:
        registry.validate(decoded.claims)
    except JoseError as error:
        raise Unauthenticated(_claim_message(error)) from error
    return decoded.claims


def _claim_message(error: JoseError) -> str:
    claim = getattr(error, "claim", "?")
    if isinstance(error, ExpiredTokenError):
        return "The access token has expired; refresh it or sign in again."
    if isinstance(error, MissingClaimError):
        return f"The access token lacks the {claim!r} claim; sign in again."
    return {
        "aud": "The access token was issued for another site; sign in on this one.",
        "nbf": "The access token is not valid yet.",
        "iss": "The access token was issued by an issuer this site does not trust.",
    }.get(claim, f"The access token has an invalid {claim!r} claim; sign in again.")


class TokenService:
    def __init__(self, keyring: KeyRing, settings: Settings) -> None:
        self.keyring = keyring
        self.settings = settings

    async def issue(self, *, subject: str, audience: str, extra: dict[str, Any]) -> str:
        return self.sign(
            await self.keyring.signing_key(), subject=subject, audience=audience, extra=extra
        )

    def sign(self, key: ECKey, *, subject: str, audience: str, extra: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.settings.token_issuer,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + self.settings.access_token_ttl_s,
            "jti": uuid.uuid4().hex,
            **extra,
        }
        return jwt.encode({"alg": ALGORITHM, "kid": key.kid}, claims, key, algorithms=[ALGORITHM])

    async def verify(self, token: str, audience: str | Collection[str]) -> dict[str, Any]:
        keys = await self.keyring.verification_keys(unverified_header(token).get("kid"))
        return verify_jwt(
            token,
            keys,
            [ALGORITHM],
            issuer=self.settings.token_issuer,
            audience=audience,
            leeway=self.settings.token_leeway_s,
        )


def new_opaque_secret(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def secret_digest(secret: str) -> str:
    """Opaque secrets carry 256 random bits: a plain SHA-256 is a safe stored form."""
    return hashlib.sha256(secret.encode()).hexdigest()
