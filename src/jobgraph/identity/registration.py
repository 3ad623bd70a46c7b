"""Registration where the code decides. A registration is a claim on an address, not an
account: its credentials (the password hashed) wait with the code mailed to the address,
and only confirming with that code makes the account, with the credentials of the
registration whose code was used. A later registration of the same address makes earlier
codes useless, so whoever registers an address first gains nothing: the address's owner
confirms their own registration. The answer is the same whether or not the address has
an account; only its owner learns which, by e-mail."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.errors import BadUserInput
from jobgraph.identity import codes
from jobgraph.identity.accounts import check_registration, find_by_email, spend_hashing_time
from jobgraph.identity.emails import normalize_email
from jobgraph.identity.models import Account
from jobgraph.identity.passwords import hash_password
from jobgraph.notifications.outbox import mail
from jobgraph.tenancy.registry import Tenant


async def register(
    db: AsyncSession,
    tenant: Tenant,
    email: str,
    password: str,
    full_name: str | None,
    accepted_document_ids: list[uuid.UUID],
) -> None:
    """Mail the address a code that confirms this registration, or, where the address
    has a confirmed account, a note saying so (and how to reset the password)."""
    email, full_name = check_registration(tenant, email, password, full_name)
    existing = await find_by_email(db, email)
    site = tenant.config.branding.site_name
    if existing is not None and existing.email_confirmed_at is not None:
        spend_hashing_time(password)  # the same time as hashing a new one
        await mail(
            db,
            tenant,
            existing.id,
            email,
            "ACCOUNT_EXISTS",
            f"Someone tried to sign up on {site} with your address",
            f"You already have an account on {site} with this address: sign in with your "
            "password. If you forgot it, ask the site for a password reset code "
            "(requestPasswordReset). If this was not you, nothing changed and you need do "
            "nothing.",
        )
        return
    code = await codes.issue(
        db,
        tenant,
        codes.CONFIRM_ADDRESS,
        normalize_email(email),
        {
            "email": email,
            "password_hash": hash_password(password),
            "full_name": full_name,
            "accepted_document_ids": [str(i) for i in accepted_document_ids],
        },
        to=email,
    )
    await mail(
        db,
        tenant,
        None,
        email,
        "CONFIRM_ADDRESS",
        f"Confirm your e-mail address for {site}",
        f"To finish signing up on {site}, confirm your address with this code "
        f"(valid for {codes.CONFIRM_ADDRESS.lasts}; the site's page asks for it):\n\n{code}\n\n"
        "If you did not sign up, ignore this message: nothing happens without the code.",
    )


async def confirm(db: AsyncSession, tenant: Tenant, token: str) -> tuple[Account, list[uuid.UUID]]:
    """The account of the registration whose code this is, made now (or completed: an
    account registered before registrations waited for their code), and the documents
    its registrant accepted."""
    row = await codes.redeem(db, codes.CONFIRM_ADDRESS, token)
    if row.tenant_slug != tenant.slug:
        raise BadUserInput(
            "This code confirms a sign-up made on another site: enter it on the site where "
            "you signed up.",
            field="token",
        )
    registration = row.detail
    account = await find_by_email(db, row.subject)
    if account is not None and account.email_confirmed_at is not None:
        raise BadUserInput(
            "This address is confirmed already: sign in with your password.", field="token"
        )
    if account is None:
        account = Account(
            pool_id=tenant.pool_id,
            tenant_slug=tenant.slug,
            email=registration["email"],
            email_normalized=row.subject,
        )
        db.add(account)
    # Whatever an unconfirmed account held came from someone who never proved the address.
    account.email = registration["email"]
    account.password_hash = registration["password_hash"]
    account.full_name = registration["full_name"]
    account.email_confirmed_at = datetime.now(UTC)
    await db.flush()
    return account, [uuid.UUID(i) for i in registration["accepted_document_ids"]]
