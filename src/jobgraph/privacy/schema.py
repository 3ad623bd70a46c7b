"""Privacy's part of the schema: consents (more data rights come with the resumes)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from jobgraph.identity.permissions import AccountHolder
from jobgraph.privacy import consent
from jobgraph.privacy.consent import ConsentPurpose

ConsentPurposeType = strawberry.enum(
    ConsentPurpose, name="ConsentPurpose", description="A use of your data that needs your consent."
)


@strawberry.type(description="Your current choice for one purpose.")
class Consent:
    purpose: ConsentPurposeType
    granted: bool
    wording_version: str
    changed_at: datetime


@strawberry.type
class PrivacyQuery:
    @strawberry.field(
        permission_classes=[AccountHolder],
        description="Your consents; a purpose without a record is not consented.",
    )
    async def my_consents(self, info: Info) -> list[Consent]:
        rows = await consent.current(info.context.db, info.context.viewer.account_id)
        return [
            Consent(
                purpose=ConsentPurpose(row.purpose),
                granted=row.granted,
                wording_version=row.wording_version,
                changed_at=row.created_at,
            )
            for row in rows
        ]


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Give or withdraw consent to one purpose, at any time.",
    )
    async def set_consent(self, info: Info, purpose: ConsentPurposeType, granted: bool) -> Consent:
        context = info.context
        async with context.transaction() as db:
            row = await consent.record(
                db, context.tenant, context.viewer.account_id, purpose, granted
            )
        return Consent(
            purpose=ConsentPurpose(row.purpose),
            granted=row.granted,
            wording_version=row.wording_version,
            changed_at=row.created_at,
        )
