"""Agreements' root fields: each site's privacy policy and terms (public to read, since
partner sites show them; published by the site's admins; accepted by seekers), and each
seeker's consents."""

from __future__ import annotations

from datetime import datetime

import strawberry

from jobgraph.agreements import consent, documents
from jobgraph.agreements.consent import ConsentPurpose
from jobgraph.agreements.documents import DocumentKind
from jobgraph.agreements.types import Consent, LegalDocument, consent_of, legal_documents_of
from jobgraph.errors import BadUserInput
from jobgraph.fields import Info, parse_id
from jobgraph.permissions import AccountHolder, TenantRead, staff
from jobgraph.policy.staff import Power


@strawberry.type
class AgreementsQuery:
    @strawberry.field(
        permission_classes=[AccountHolder],
        description="Your consents; a purpose without a record is not consented.",
    )
    async def my_consents(self, info: Info) -> list[Consent]:
        rows = await consent.current(info.context.db, info.context.viewer.signed_in_account)
        return [consent_of(row) for row in rows]

    @strawberry.field(
        permission_classes=[TenantRead],
        description="This site's privacy policy and terms in force now: show them, "
        "and pass their ids to register.",
    )
    async def legal_documents(self, info: Info) -> list[LegalDocument]:
        return legal_documents_of(await documents.in_force(info.context.db, info.context.tenant))

    @strawberry.field(
        permission_classes=[TenantRead],
        description="Every version of one document, newest first (future ones included).",
    )
    async def legal_document_versions(self, info: Info, kind: DocumentKind) -> list[LegalDocument]:
        return legal_documents_of(
            await documents.versions(info.context.db, info.context.tenant, kind)
        )

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
        return legal_documents_of(rows)


@strawberry.type
class AgreementsMutation:
    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Give or withdraw consent to one purpose, at any time.",
    )
    async def set_consent(
        self,
        info: Info,
        purpose: ConsentPurpose,
        granted: bool,
        third_party: str | None = None,
    ) -> Consent:
        context = info.context
        named = (third_party or "").strip()
        if (purpose == ConsentPurpose.THIRD_PARTY_DISCLOSURE) != bool(named):
            raise BadUserInput(
                "Name the third party (and only) for THIRD_PARTY_DISCLOSURE.", field="thirdParty"
            )
        if len(named) > 100:
            raise BadUserInput("thirdParty must have at most 100 characters.", field="thirdParty")
        if granted and (reason := consent.offered(context.tenant, purpose)):
            raise BadUserInput(reason, field="purpose")  # withdrawing is always possible
        async with context.transaction() as db:
            row = await consent.record(
                db, context.tenant, context.viewer.signed_in_account, purpose, granted, named
            )
        return consent_of(row)

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
        return legal_documents_of(rows)

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
