"""Codes mailed to an address: the only proof that whoever acts controls it. Every kind
is kept the same way (``MailedCode``): stored as a digest, used once, valid until it
expires and only while it is the newest of its kind for its subject, so that a code
mailed earlier (to an attacker's registration, to an invitation with another role)
stops working as soon as a newer one is sent. What a code grants is kept with it, never
in it: the code is 144 random bits and nothing else."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.errors import BadUserInput
from jobgraph.identity.emails import normalize_email
from jobgraph.identity.models import MailedCode
from jobgraph.identity.tokens import secret_digest
from jobgraph.tenancy.registry import Tenant


@dataclass(frozen=True)
class CodeKind:
    purpose: str
    valid_for: timedelta
    what: str  # in messages: "confirmation code"
    lasts: str  # in mail: "3 days"


CONFIRM_ADDRESS = CodeKind("confirm-address", timedelta(days=3), "confirmation code", "3 days")
RESET_PASSWORD = CodeKind("reset-password", timedelta(hours=1), "password reset code", "1 hour")
CHANGE_EMAIL = CodeKind("change-email", timedelta(days=1), "address change code", "1 day")
JOIN_COMPANY = CodeKind("join-company", timedelta(days=7), "invitation code", "7 days")
ADMINISTER_SITE = CodeKind("administer-site", timedelta(days=7), "invitation code", "7 days")


async def issue(
    db: AsyncSession,
    tenant: Tenant,
    kind: CodeKind,
    subject: str,
    detail: dict[str, Any],
    *,
    to: str,
) -> str:
    """A new code of ``kind`` for ``subject``, to be mailed to the address ``to``; every
    earlier one unused stops working."""
    now = datetime.now(UTC)
    await withdraw(db, kind, subject, now)
    code = secrets.token_urlsafe(18)
    db.add(
        MailedCode(
            pool_id=tenant.pool_id,
            tenant_slug=tenant.slug,
            purpose=kind.purpose,
            subject=subject,
            recipient=normalize_email(to),
            code_hash=secret_digest(code),
            detail=detail,
            expires_at=now + kind.valid_for,
        )
    )
    await db.flush()
    return code


async def withdraw(
    db: AsyncSession, kind: CodeKind, subject: str, now: datetime | None = None
) -> None:
    """Every unused code of ``kind`` for ``subject`` stops working (an invitation revoked,
    a newer code sent)."""
    await db.execute(
        update(MailedCode)
        .where(
            MailedCode.purpose == kind.purpose,
            MailedCode.subject == subject,
            MailedCode.used_at.is_(None),
            MailedCode.superseded_at.is_(None),
        )
        .values(superseded_at=now or datetime.now(UTC))
    )


async def redeem(db: AsyncSession, kind: CodeKind, code: str) -> MailedCode:
    """The code's row, marked used in the caller's transaction: if the act it grants
    fails, the transaction rolls back and the code still works. Locked, so two requests
    with one code cannot both use it."""
    row = await db.scalar(
        select(MailedCode)
        .where(MailedCode.code_hash == secret_digest(code.strip()))
        .where(MailedCode.purpose == kind.purpose)
        .with_for_update()
    )
    now = datetime.now(UTC)
    if row is None:
        raise BadUserInput(
            f"This is not a valid {kind.what}: copy the whole code from the e-mail.",
            field="token",
        )
    if row.used_at is not None:
        raise BadUserInput(
            f"This {kind.what} was used already: each code works once. Ask for a new one "
            "if you need it.",
            field="token",
        )
    if row.superseded_at is not None:
        raise BadUserInput(
            f"A newer {kind.what} was sent since this one: use the code in the newest message.",
            field="token",
        )
    if row.expires_at <= now:
        raise BadUserInput(f"This {kind.what} has expired: ask for a new one.", field="token")
    row.used_at = now
    return row
