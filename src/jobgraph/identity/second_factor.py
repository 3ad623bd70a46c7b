"""A second factor for staff: a time-based one-time password (RFC 6238, any authenticator
app) with recovery codes for a lost phone. Site admins enrol while signed in; operators
are enrolled by `jobgraph operators create`. A session that passed it (at sign-in for
operators, with ``verifySecondFactor`` for accounts) may use staff powers for
``FRESH_FOR``; the policy (``policy/staff.py``) decides where that is required.

The secret is kept sealed with the service's secret key; recovery codes as digests, each
removed when used."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
import segno
from cryptography.fernet import InvalidToken

from jobgraph.errors import BadUserInput
from jobgraph.identity.models import SecondFactorHolder
from jobgraph.identity.tokens import secret_digest
from jobgraph.signing import sealer

log = logging.getLogger(__name__)

FRESH_FOR = timedelta(hours=12)
RECOVERY_CODES = 10
# A code of the previous or the next 30-second step is accepted too: phones' clocks drift.
VALID_WINDOW = 1


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str  # otpauth://, what an authenticator app reads from the QR code
    qr_code_svg: str


def start_enrolment(
    holder: SecondFactorHolder, secret_key: str, label: str, issuer: str
) -> Enrolment:
    """A new secret for ``holder``, pending until a code from it is confirmed: until then
    the holder has no second factor (the one it had, with its recovery codes, is gone; so
    the caller lets only a session that passed it replace it)."""
    secret = pyotp.random_base32()
    _seal(holder, secret_key, secret)
    holder.second_factor_enrolled_at = None
    holder.recovery_code_hashes = []
    uri = provisioning_uri(secret, label, issuer)
    svg = qr_code(uri).svg_inline(scale=4, dark="#000", light="#fff")
    return Enrolment(secret, uri, svg)


def provisioning_uri(secret: str, label: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app takes the secret from."""
    return pyotp.TOTP(secret).provisioning_uri(name=label, issuer_name=issuer)


def qr_code(uri: str) -> segno.QRCode:
    return segno.make(uri, error="m")


def _seal(holder: SecondFactorHolder, secret_key: str, secret: str) -> None:
    holder.totp_secret = sealer(secret_key).encrypt(secret.encode()).decode()


def finish_enrolment(holder: SecondFactorHolder, secret_key: str, code: str) -> list[str]:
    """Enrol the pending secret, given a code from it: the recovery codes, shown once."""
    if holder.totp_secret is None:
        raise BadUserInput(
            "Start with enrolSecondFactor: there is no secret to confirm yet.", field="code"
        )
    if not _totp_matches(holder, secret_key, code):
        raise BadUserInput(
            "This code does not match the new secret: enter the 6 digits your "
            "authenticator app shows for it now (check that the phone's clock is right).",
            field="code",
        )
    holder.second_factor_enrolled_at = datetime.now(UTC)
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    holder.recovery_code_hashes = [secret_digest(code) for code in codes]
    return codes


def enrol_now(holder: SecondFactorHolder, secret_key: str, secret: str) -> list[str]:
    """Enrol ``secret`` at once (the command line and the demo, which hand it over
    themselves): the recovery codes."""
    _seal(holder, secret_key, secret)
    return finish_enrolment(holder, secret_key, pyotp.TOTP(secret).now())


def check(holder: SecondFactorHolder, secret_key: str, code: str) -> None:
    """A code from the holder's app, or one of its recovery codes (used up by this)."""
    if holder.second_factor_enrolled_at is None:
        raise BadUserInput(
            "You have no second factor yet: enrol one with enrolSecondFactor (the console's "
            "Site settings walk you through it).",
            field="code",
        )
    if _totp_matches(holder, secret_key, code):
        return
    digest = secret_digest(code.strip().lower())
    if digest in holder.recovery_code_hashes:
        holder.recovery_code_hashes = [h for h in holder.recovery_code_hashes if h != digest]
        return
    raise BadUserInput(
        "The code is wrong: enter the 6 digits your authenticator app shows now, or one of "
        "your recovery codes.",
        field="code",
    )


def is_fresh(passed_at: datetime | None, now: datetime | None = None) -> bool:
    return passed_at is not None and passed_at > (now or datetime.now(UTC)) - FRESH_FOR


def _totp_matches(holder: SecondFactorHolder, secret_key: str, code: str) -> bool:
    if holder.totp_secret is None:
        return False
    try:
        secret = sealer(secret_key).decrypt(holder.totp_secret.encode()).decode()
    except InvalidToken:  # sealed under another secret key: only recovery codes still work
        log.error("a second-factor secret does not open with JOBGRAPH_SECRET_KEY")
        return False
    digits = code.strip().replace(" ", "")
    return digits.isdigit() and pyotp.TOTP(secret).verify(digits, valid_window=VALID_WINDOW)
