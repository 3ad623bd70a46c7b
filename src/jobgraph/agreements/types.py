"""GraphQL types of agreements: a site's legal documents and a seeker's consents."""

from __future__ import annotations

from datetime import datetime

import strawberry

from jobgraph.agreements.consent import ConsentPurpose
from jobgraph.agreements.documents import DocumentKind
from jobgraph.agreements.models import ConsentRecord
from jobgraph.agreements.models import LegalDocument as LegalDocumentRow
from jobgraph.fields import show_id

strawberry.enum(DocumentKind, name="LegalDocumentKind", description="PRIVACY: the privacy policy.")


@strawberry.type(description="One version of a site's privacy policy or terms.")
class LegalDocument:
    id: strawberry.ID
    kind: DocumentKind
    version: str
    title: str
    body: str = strawberry.field(description="Plain text or Markdown, as published.")
    effective_at: datetime = strawberry.field(description="In force from this time on.")

    @classmethod
    def of(cls, row: LegalDocumentRow) -> LegalDocument:
        return cls(
            id=show_id(row.id),
            kind=DocumentKind(row.kind),
            version=row.version,
            title=row.title,
            body=row.body,
            effective_at=row.effective_at,
        )


def legal_documents_of(rows: list[LegalDocumentRow]) -> list[LegalDocument]:
    return [LegalDocument.of(row) for row in rows]


strawberry.enum(
    ConsentPurpose, name="ConsentPurpose", description="A use of your data that needs your consent."
)


@strawberry.type(description="Your current choice for one purpose.")
class Consent:
    purpose: ConsentPurpose
    third_party: str | None = strawberry.field(
        description="For THIRD_PARTY_DISCLOSURE: who may receive your data."
    )
    granted: bool
    wording_version: str
    changed_at: datetime


def consent_of(row: ConsentRecord) -> Consent:
    return Consent(
        purpose=ConsentPurpose(row.purpose),
        third_party=row.third_party or None,
        granted=row.granted,
        wording_version=row.wording_version,
        changed_at=row.created_at,
    )
