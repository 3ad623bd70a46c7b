"""What the service's secret key protects: secrets kept at rest (token-signing keys,
webhook secrets), sealed with a key derived from it. (Codes mailed to an address are not
signed but stored: see ``identity/codes.py``.)"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet


def sealer(secret_key: str) -> Fernet:
    """Seals and opens what the service keeps secret at rest (Fernet: AES and HMAC)."""
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest()))
