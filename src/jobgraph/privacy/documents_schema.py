"""Each site's privacy policy and terms in the schema: public to read (partner sites show
them), published by the site's admins, accepted by seekers."""

from __future__ import annotations

from datetime import datetime

import strawberry

from jobgraph.fields import Info, parse_id
from jobgraph.permissions import AccountHolder, TenantRead, staff
from jobgraph.policy.staff import Power
from jobgraph.privacy import documents
from jobgraph.privacy.documents import DocumentKind
from jobgraph.privacy.models import LegalDocument as LegalDocumentRow

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
            id=strawberry.ID(str(row.id)),
            kind=DocumentKind(row.kind),
            version=row.version,
            title=row.title,
            body=row.body,
            effective_at=row.effective_at,
        )


def _documents(rows: list[LegalDocumentRow]) -> list[LegalDocument]:
    return [LegalDocument.of(row) for row in rows]


@strawberry.type
class LegalDocumentsQuery:
    @strawberry.field(
        permission_classes=[TenantRead],
        description="This site's privacy policy and terms in force now: show them, "
        "and pass their ids to register.",
    )
    async def legal_documents(self, info: Info) -> list[LegalDocument]:
        return _documents(await documents.in_force(info.context.db, info.context.tenant))

    @strawberry.field(
        permission_classes=[TenantRead],
        description="Every version of one document, newest first (future ones included).",
    )
    async def legal_document_versions(self, info: Info, kind: DocumentKind) -> list[LegalDocument]:
        return _documents(await documents.versions(info.context.db, info.context.tenant, kind))

    @strawberry.field(
        permission_classes=[AccountHolder],
        description="Documents in force that you have not accepted yet: ask the seeker "
        "to read and accept them (acceptLegalDocuments) after signing in.",
    )
    async def documents_to_accept(self, info: Info) -> list[LegalDocument]:
        context = info.context
        rows = await documents.to_accept(
            context.db, context.tenant, context.viewer.signed_in_account
        )
        return _documents(rows)


@strawberry.type
class LegalDocumentsMutation:
    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Accept versions of this site's documents in force; the acceptance "
        "(version, time) is recorded and exported with your data.",
    )
    async def accept_legal_documents(
        self, info: Info, ids: list[strawberry.ID]
    ) -> list[LegalDocument]:
        context = info.context
        async with context.transaction() as db:
            rows = await documents.accept(
                db,
                context.tenant,
                context.viewer.signed_in_account,
                [parse_id(i, "ids") for i in ids],
            )
        return _documents(rows)

    @strawberry.mutation(
        permission_classes=[staff(Power.CONFIGURE_SITE)],
        description="Publish a new version of this site's privacy policy or terms, in "
        "force from effectiveAt (default: now; never in the past). Signed-in "
        "seekers are asked to accept it once it is in force.",
    )
    async def publish_legal_document(
        self,
        info: Info,
        kind: DocumentKind,
        version: str,
        title: str,
        body: str,
        effective_at: datetime | None = None,
    ) -> LegalDocument:
        context = info.context
        async with context.transaction() as db:
            row = await documents.publish(
                db,
                context.tenant,
                kind,
                version,
                title,
                body,
                effective_at,
                context.viewer.actor,
            )
        return LegalDocument.of(row)
