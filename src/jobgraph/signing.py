"""What the service's secret key protects: signed, expiring tokens for links sent by e-mail
(confirming an address, joining a company): itsdangerous, one salt per purpose, so a token
made for one purpose is worthless for another; and secrets kept at rest (token-signing
keys, webhook secrets), sealed with a key derived from it."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.fernet import Fernet
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from jobgraph.errors import BadUserInput


def sign(secret: str, purpose: str, claims: dict[str, Any]) -> str:
    return URLSafeTimedSerializer(secret, salt=purpose).dumps(claims)


def read(secret: str, purpose: str, token: str, max_age_s: int, what: str) -> dict[str, Any]:
    """The claims of a token made for ``purpose``; a clear BAD_USER_INPUT when it is not
    one, or too old (``what`` names the link in the message)."""
    try:
        claims: dict[str, Any] = URLSafeTimedSerializer(secret, salt=purpose).loads(
            token, max_age=max_age_s
        )
        return claims
    except SignatureExpired:
        raise BadUserInput(f"This {what} has expired: ask for a new one.", field="token") from None
    except BadSignature:
        raise BadUserInput(
            f"This is not a valid {what}: copy the whole link from the e-mail.", field="token"
        ) from None


def sealer(secret_key: str) -> Fernet:
    """Seals and opens what the service keeps secret at rest (Fernet: AES and HMAC)."""
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest()))
