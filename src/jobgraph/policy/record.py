"""The record of disclosure: every read of a resume's personal information by someone but
its owner is noted by the field resolvers as it happens (so no query shape can skip it) and
written once per request, one row per resume and reason."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.policy.disclosure import COVER_NOTE, Disclosure, Relationship, ResumeFacts
from jobgraph.policy.fields import ResumeField
from jobgraph.policy.models import DisclosureReason, DisclosureRecord
from jobgraph.policy.site import Site

_RECORDED = text("""
    INSERT INTO disclosures (pool_id, tenant_slug, recipient, hidden_from_subject,
                             subject_account_id, recipient_company_id, fields, reason, detail)
    SELECT :pool, :tenant, :recipient, false, shown.subject, shown.company, shown.fields,
           shown.reason, shown.detail
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS shown(
        subject uuid, company uuid, fields varchar(40)[], reason varchar(40), detail text)
""")


@dataclass
class DisclosureRecorder:
    """One per request."""

    # What was shown, by subject, relationship, company and purpose: resume fields, and
    # an application's cover note (COVER_NOTE).
    _seen: dict[tuple[uuid.UUID, str, uuid.UUID | None, str | None], set[str]] = field(
        default_factory=lambda: defaultdict(set)
    )

    def note(
        self,
        resume: ResumeFacts,
        disclosure: Disclosure,
        resume_field: ResumeField,
        company_id: uuid.UUID | None = None,
        detail: str | None = None,
    ) -> None:
        if resume_field in disclosure.recorded_fields:
            key = (resume.account_id, str(disclosure.relationship), company_id, detail)
            self._seen[key].add(resume_field)

    def note_cover_note(self, applicant_id: uuid.UUID, company_id: uuid.UUID) -> None:
        """An application's cover note shown to the company applied to."""
        key = (applicant_id, str(Relationship.APPLICATION), company_id, None)
        self._seen[key].add(COVER_NOTE)

    @property
    def pending(self) -> bool:
        return bool(self._seen)

    async def flush(self, db: AsyncSession, tenant: Site, recipient: str) -> None:
        """What was shown, written as disclosed to ``recipient`` (a viewer's actor, a
        webhook endpoint's name) in ``db``'s transaction; kept noted until ``clear``,
        once that transaction has committed (a write that rolls back is tried again)."""
        if not self._seen:
            return
        rows = [
            {
                "subject": subject,
                "company": company_id,
                "fields": sorted(fields),
                "reason": DisclosureReason(reason).value,
                "detail": detail[:500] if detail is not None else None,
            }
            for (subject, reason, company_id, detail), fields in self._seen.items()
        ]
        # One statement with the rows as one JSON parameter, ids made by PostgreSQL: the
        # ORM's bulk insert and then SQLAlchemy's parameters per row and column (its type
        # processing of 20 rows was a sixth of a page of profiles' Python) cost more.
        await db.execute(
            _RECORDED,
            {
                "pool": tenant.pool_id,
                "tenant": tenant.slug,
                "recipient": recipient,
                "rows": orjson.dumps(rows, default=str).decode(),  # the driver's UUIDs: str
            },
        )

    def clear(self) -> None:
        """What was noted so far is recorded (its transaction committed)."""
        self._seen.clear()


def record_disclosure(
    db: AsyncSession,
    site: Site,
    subject_account_id: uuid.UUID,
    recipient: str,
    fields: list[str],
    reason: DisclosureReason,
    detail: str,
    hidden_from_subject: bool = False,
    recipient_company_id: uuid.UUID | None = None,
) -> None:
    """A disclosure made outside a query's fields (everything to a third party or an
    authority; a staff member's dry run), recorded in the caller's transaction."""
    db.add(
        DisclosureRecord(
            pool_id=site.pool_id,
            tenant_slug=site.slug,
            subject_account_id=subject_account_id,
            recipient=recipient,
            recipient_company_id=recipient_company_id,
            fields=fields,
            reason=reason,
            detail=detail[:500],
            hidden_from_subject=hidden_from_subject,
        )
    )
