"""Consent per purpose: each change is a new record with its time and the version of the
wording the seeker agreed to; the newest record of a purpose is the seeker's choice."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.agreements.models import ConsentRecord
from jobgraph.policy.fields import DataUse, ThirdPartyDisclosure
from jobgraph.tenancy.registry import Tenant

# The wording each purpose is asked with; a new wording gets a new version.
WORDING_VERSION = "2026-11-01"


class ConsentPurpose(StrEnum):
    SITE_UPDATE_MAIL = "SITE_UPDATE_MAIL"  # "contact users by email about the site's updates"
    JOB_ALERT_MAIL = "JOB_ALERT_MAIL"  # "contact users about available positions"
    UPDATE_REQUEST_MAIL = "UPDATE_REQUEST_MAIL"  # "ask users to update their information"
    THIRD_PARTY_DISCLOSURE = "THIRD_PARTY_DISCLOSURE"  # "the user's expressed consent"


# The site's own use that each purpose is consent to.
_SITE_USE = {
    ConsentPurpose.SITE_UPDATE_MAIL: DataUse.SITE_UPDATE_MAIL,
    ConsentPurpose.JOB_ALERT_MAIL: DataUse.JOB_ALERT_MAIL,
    ConsentPurpose.UPDATE_REQUEST_MAIL: DataUse.UPDATE_REQUESTS,
}


def offered(tenant: Tenant, purpose: ConsentPurpose) -> str | None:
    """Why a site asks for no such consent (None: it does). Consent to a use the site does
    not make would promise something that never happens."""
    policy = tenant.config.policy
    if purpose == ConsentPurpose.THIRD_PARTY_DISCLOSURE:
        if policy.third_party_disclosure != ThirdPartyDisclosure.CONSENT_OR_LAW:
            return (
                "This site gives personal data to third parties only when the law requires "
                "it: there is no consent to give."
            )
        return None
    if _SITE_USE[purpose] not in policy.data_uses:
        return f"This site does not use your data for {purpose}: there is no consent to give."
    return None


async def record(
    db: AsyncSession,
    tenant: Tenant,
    account_id: uuid.UUID,
    purpose: ConsentPurpose,
    granted: bool,
    third_party: str = "",
) -> ConsentRecord:
    row = ConsentRecord(
        pool_id=tenant.pool_id,
        tenant_slug=tenant.slug,
        id=uuid.uuid4(),
        created_at=datetime.now(UTC),  # now() is per transaction: too coarse
        account_id=account_id,
        purpose=str(purpose),
        third_party=third_party,
        granted=granted,
        wording_version=WORDING_VERSION,
    )
    db.add(row)
    await db.flush()
    return row


def _newest(purpose: ConsentPurpose | None = None) -> Select[ConsentRecord]:
    statement = (
        select(ConsentRecord)
        .ext(
            distinct_on(ConsentRecord.account_id, ConsentRecord.purpose, ConsentRecord.third_party)
        )
        .order_by(
            ConsentRecord.account_id,
            ConsentRecord.purpose,
            ConsentRecord.third_party,
            ConsentRecord.created_at.desc(),
            ConsentRecord.id,
        )
    )
    if purpose is not None:
        statement = statement.where(ConsentRecord.purpose == str(purpose))
    return statement


async def current(db: AsyncSession, account_id: uuid.UUID) -> list[ConsentRecord]:
    return list((await db.scalars(_newest().where(ConsentRecord.account_id == account_id))).all())


async def consenting(
    db: AsyncSession, account_ids: Iterable[uuid.UUID], purpose: ConsentPurpose
) -> set[uuid.UUID]:
    """Which of these accounts consent to ``purpose`` now (no record means no)."""
    rows = await db.scalars(_newest(purpose).where(ConsentRecord.account_id.in_(list(account_ids))))
    return {row.account_id for row in rows if row.granted}


async def consents_to_third_party(
    db: AsyncSession, account_id: uuid.UUID, third_party: str
) -> bool:
    rows = await db.scalars(
        _newest(ConsentPurpose.THIRD_PARTY_DISCLOSURE).where(
            ConsentRecord.account_id == account_id, ConsentRecord.third_party == third_party
        )
    )
    return any(row.granted for row in rows)
