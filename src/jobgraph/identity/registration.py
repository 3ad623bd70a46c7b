"""Registration that does not tell whether an address has an account: the answer is the
same either way, and the address's owner learns which by e-mail: a code that confirms a
new account, or a note that the account exists (with what to do if it was not them)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph import signing
from jobgraph.errors import BadUserInput
from jobgraph.identity.models import Account
from jobgraph.notifications.outbox import enqueue
from jobgraph.tenancy.registry import Tenant

PURPOSE = "confirm-address"
CONFIRMATION_TTL_S = 3 * 24 * 3600


async def mail_the_address(
    db: AsyncSession, tenant: Tenant, secret: str, account: Account, created: bool
) -> None:
    site = tenant.config.branding.site_name
    stamp = datetime.now(UTC).isoformat()
    if created or account.email_confirmed_at is None:
        code = signing.sign(secret, PURPOSE, {"p": tenant.pool_id, "a": str(account.id)})
        subject = f"Confirm your e-mail address for {site}"
        body = (
            f"To finish signing up on {site}, confirm your address with this code "
            f"(valid for 3 days; the site's page asks for it):\n\n{code}\n\n"
            "If you did not sign up, ignore this message: nothing happens without the code."
        )
        kind = "CONFIRM_ADDRESS"
    else:
        support = tenant.config.branding.support_email or f"{site}'s support"
        subject = f"Someone tried to sign up on {site} with your address"
        body = (
            f"You already have an account on {site} with this address: sign in with your "
            f"password (if you forgot it, write to {support}). "
            "If this was not you, nothing changed and you need do nothing."
        )
        kind = "ACCOUNT_EXISTS"
    await enqueue(
        db, tenant, account.id, account.email, kind, f"{kind}:{account.id}:{stamp}", subject, body
    )


async def confirm(db: AsyncSession, tenant: Tenant, secret: str, token: str) -> Account:
    claims = signing.read(secret, PURPOSE, token, CONFIRMATION_TTL_S, "confirmation code")
    account = None
    if claims.get("p") == tenant.pool_id:
        account = await db.get(Account, (tenant.pool_id, uuid.UUID(claims["a"])))
    if account is None:
        raise BadUserInput(
            "This confirmation code is for no account of this site: sign up again.",
            field="token",
        )
    if account.email_confirmed_at is not None:
        # The code signs in once; after that it is only a stale link.
        raise BadUserInput(
            "This address is confirmed already: sign in with your password.", field="token"
        )
    account.email_confirmed_at = datetime.now(UTC)
    return account
