"""Getting an account back and moving it: a password reset mailed to the account's
address, and a change of address confirmed at the new address with a notice to the old.
Both are codes (``codes.py``): used once, and the newest of their kind only. A reset ends
every session of the account, so whoever held it before is out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.errors import BadUserInput, Conflict
from jobgraph.identity import codes, sessions
from jobgraph.identity.accounts import check_email, check_password, find_by_email, site_words
from jobgraph.identity.emails import normalize_email
from jobgraph.identity.models import Account
from jobgraph.identity.passwords import hash_password
from jobgraph.notifications.outbox import mail
from jobgraph.tenancy.registry import Tenant


async def request_password_reset(db: AsyncSession, tenant: Tenant, email: str) -> None:
    """Mail the account of this address a reset code; nothing where there is none (the
    caller's answer is the same either way)."""
    email = check_email(email)
    account = await find_by_email(db, email)
    if account is None or account.email_confirmed_at is None:
        return
    code = await codes.issue(
        db, tenant, codes.RESET_PASSWORD, str(account.id), {}, to=account.email
    )
    site = tenant.config.branding.site_name
    await mail(
        db,
        tenant,
        account.id,
        account.email,
        "RESET_PASSWORD",
        f"Reset your password on {site}",
        f"To choose a new password on {site}, enter this code with it (valid for "
        f"{codes.RESET_PASSWORD.lasts}, once):\n\n{code}\n\n"
        "If you did not ask for it, ignore this message: your password stays as it is.",
    )


async def reset_password(db: AsyncSession, tenant: Tenant, token: str, new_password: str) -> None:
    row = await codes.redeem(db, codes.RESET_PASSWORD, token)
    account = await db.get(Account, (tenant.pool_id, uuid.UUID(row.subject)))
    if account is None:
        raise BadUserInput("The account of this code no longer exists.", field="token")
    check_password(new_password, account.email, site_words(tenant))
    account.password_hash = hash_password(new_password)
    await sessions.revoke_all_but(db, account.id, None, "password reset")
    await notify_password_changed(db, tenant, account)


async def notify_password_changed(db: AsyncSession, tenant: Tenant, account: Account) -> None:
    site = tenant.config.branding.site_name
    await mail(
        db,
        tenant,
        account.id,
        account.email,
        "PASSWORD_CHANGED",
        f"Your password on {site} was changed",
        f"The password of your account on {site} was changed just now, and your other "
        "sessions were signed out. If this was not you, reset your password at once "
        "(requestPasswordReset) and tell the site's support.",
    )


async def request_email_change(
    db: AsyncSession, tenant: Tenant, account: Account, new_email: str
) -> None:
    """Mail the new address a code that moves the account there, and the old one a
    notice. A new address taken by another account gets a note instead of a code (the
    answer is the same: it does not tell the requester whose address it is)."""
    new_email = check_email(new_email)
    site = tenant.config.branding.site_name
    if normalize_email(new_email) == account.email_normalized:
        raise BadUserInput("This is your address already.", field="newEmail")
    if await find_by_email(db, new_email) is not None:
        await mail(
            db,
            tenant,
            None,
            new_email,
            "EMAIL_CHANGE_REFUSED",
            f"Someone asked to move an account on {site} to your address",
            f"An account on {site} asked to use this address, which already has an "
            "account there, so nothing changed. You need do nothing.",
        )
    else:
        code = await codes.issue(
            db, tenant, codes.CHANGE_EMAIL, str(account.id), {"email": new_email}, to=new_email
        )
        await mail(
            db,
            tenant,
            None,
            new_email,
            "CONFIRM_NEW_ADDRESS",
            f"Confirm your new e-mail address for {site}",
            f"To move your account on {site} to this address, enter this code while signed "
            f"in (valid for {codes.CHANGE_EMAIL.lasts}, once):\n\n{code}\n\n"
            "If you did not ask for it, ignore this message: nothing changes without it.",
        )
    await mail(
        db,
        tenant,
        account.id,
        account.email,
        "EMAIL_CHANGE_REQUESTED",
        f"A change of your address on {site} was asked for",
        f"Someone signed in to your account on {site} asked to move it to another address "
        f"({_masked(new_email)}). It moves only once that address confirms. If this was "
        "not you, change your password now.",
    )


async def confirm_email_change(
    db: AsyncSession, tenant: Tenant, account: Account, token: str
) -> None:
    row = await codes.redeem(db, codes.CHANGE_EMAIL, token)
    if row.subject != str(account.id):
        raise BadUserInput(
            "This code moves another account: sign in with the account that asked for it.",
            field="token",
        )
    new_email = row.detail["email"]
    if await find_by_email(db, new_email) is not None:
        raise Conflict("Another account took this address meanwhile: nothing changed.")
    old_email = account.email
    account.email, account.email_normalized = new_email, normalize_email(new_email)
    account.email_confirmed_at = datetime.now(UTC)
    site = tenant.config.branding.site_name
    await mail(
        db,
        tenant,
        account.id,
        old_email,
        "EMAIL_CHANGED",
        f"Your address on {site} was changed",
        f"Your account on {site} now uses {_masked(new_email)}; mail goes there from now "
        "on. If this was not you, write to the site's support at once.",
    )


def _masked(email: str) -> str:
    """Enough of an address for its owner to recognise it, not for a reader to use it."""
    local, _, domain = email.partition("@")
    return f"{local[:2]}…@{domain}"
