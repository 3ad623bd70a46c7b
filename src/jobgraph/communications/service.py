"""A site talking with its people: announcements ("site updates", both policies) to the
seekers who consented, each with a link that withdraws that consent; and inquiries people
send the site's admins, who list and close them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.agreements import consent
from jobgraph.agreements.consent import ConsentPurpose
from jobgraph.communications.models import Inquiry, InquiryStatus
from jobgraph.errors import BadUserInput, Forbidden, NotFound, required_text
from jobgraph.identity.accounts import check_email
from jobgraph.identity.models import Account
from jobgraph.notifications.outbox import enqueue
from jobgraph.policy.fields import DataUse
from jobgraph.tenancy.registry import Tenant

MAX_SUBJECT = 200
MAX_ANNOUNCEMENT = 20_000
MAX_INQUIRY = 5_000


# Unsubscribe links: signed with the service's secret, valid as long as the account lives
# (a link in an old mail must still work), good for one purpose of one account.
def unsubscribe_token(secret: str, tenant: Tenant, account_id: uuid.UUID) -> str:
    payload = json.dumps(
        {"t": tenant.slug, "a": str(account_id), "p": ConsentPurpose.SITE_UPDATE_MAIL.value},
        separators=(",", ":"),
    ).encode()
    encoded = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    return f"{encoded}.{_signature(secret, encoded)}"


def _signature(secret: str, encoded: str) -> str:
    digest = hmac.new(secret.encode(), f"unsubscribe:{encoded}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def read_unsubscribe_token(secret: str, token: str) -> tuple[str, uuid.UUID, ConsentPurpose]:
    invalid = BadUserInput(
        "This unsubscribe link is not valid; sign in and change your e-mail choices "
        "in your settings instead.",
        field="token",
    )
    encoded, _, signature = token.partition(".")
    if not hmac.compare_digest(signature, _signature(secret, encoded)):
        raise invalid
    try:
        claims = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        return claims["t"], uuid.UUID(claims["a"]), ConsentPurpose(claims["p"])
    except (ValueError, KeyError, TypeError):
        raise invalid from None


async def unsubscribe(db: AsyncSession, tenant: Tenant, secret: str, token: str) -> str:
    slug, account_id, purpose = read_unsubscribe_token(secret, token)
    if slug != tenant.slug:
        raise BadUserInput("This link belongs to another site.", field="token")
    account = await db.get(Account, (tenant.pool_id, account_id))
    if account is None:
        raise NotFound("This account no longer exists; there is nothing to unsubscribe.")
    await consent.record(db, tenant, account_id, purpose, False)
    return account.email


async def announce(db: AsyncSession, tenant: Tenant, subject: str, body: str, secret: str) -> int:
    """Queue an announcement to this site's seekers who consent to site-update mail now;
    returns how many were queued."""
    if DataUse.SITE_UPDATE_MAIL not in tenant.config.policy.data_uses:
        raise Forbidden("This site's policy does not use e-mail for site updates.")
    subject = required_text(subject, "subject", MAX_SUBJECT)
    body = required_text(body, "body", MAX_ANNOUNCEMENT)
    accounts = (
        await db.execute(
            select(Account.id, Account.email).where(
                Account.pool_id == tenant.pool_id, Account.tenant_slug == tenant.slug
            )
        )
    ).all()
    willing = await consent.consenting(
        db, [row.id for row in accounts], ConsentPurpose.SITE_UPDATE_MAIL
    )
    announcement = uuid.uuid4()
    base = f"https://{tenant.config.hostnames[0]}"
    site = tenant.config.branding.site_name
    queued = 0
    for account_id, email in accounts:
        if account_id not in willing:
            continue
        link = f"{base}/unsubscribe?token={unsubscribe_token(secret, tenant, account_id)}"
        queued += await enqueue(
            db,
            tenant,
            account_id,
            email,
            "ANNOUNCEMENT",
            f"announcement:{announcement}:{account_id}",
            f"[{site}] {subject}",
            f"{body}\n\n--\nYou get this because you agreed to hear about {site}'s updates. "
            f"Stop these e-mails: {link}",
        )
    return queued


async def send_inquiry(
    db: AsyncSession,
    tenant: Tenant,
    account_id: uuid.UUID | None,
    subject: str,
    body: str,
    name: str | None,
    reply_to: str | None,
) -> Inquiry:
    row = Inquiry(
        pool_id=tenant.pool_id,
        tenant_slug=tenant.slug,
        id=uuid.uuid4(),
        account_id=account_id,
        name=required_text(name, "name", 100) if name else None,
        reply_to=check_email(reply_to) if reply_to else None,
        subject=required_text(subject, "subject", MAX_SUBJECT),
        body=required_text(body, "body", MAX_INQUIRY),
        status=InquiryStatus.OPEN,
        created_at=datetime.now(UTC),
    )
    db.add(row)
    await db.flush()
    return row


async def inquiries(db: AsyncSession, tenant: Tenant, status: str | None, limit: int) -> list[Any]:
    statement = (
        select(Inquiry)
        .where(Inquiry.pool_id == tenant.pool_id, Inquiry.tenant_slug == tenant.slug)
        .order_by(Inquiry.created_at.desc(), Inquiry.id)
        .limit(limit)
    )
    if status is not None:
        statement = statement.where(Inquiry.status == status)
    return list((await db.scalars(statement)).all())


async def close_inquiry(
    db: AsyncSession, tenant: Tenant, inquiry_id: uuid.UUID, actor: str, resolution: str | None
) -> Inquiry:
    row = await db.get(Inquiry, (tenant.pool_id, inquiry_id))
    if row is None or row.tenant_slug != tenant.slug:
        raise NotFound("There is no such inquiry on this site.")
    if row.status == InquiryStatus.CLOSED:
        raise BadUserInput("This inquiry is closed already.", field="id")
    row.status = InquiryStatus.CLOSED
    row.closed_by = actor
    row.closed_at = datetime.now(UTC)
    row.resolution = required_text(resolution, "resolution", 1000) if resolution else None
    await db.flush()
    return row
