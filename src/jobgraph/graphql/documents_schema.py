"""The trusted documents' part of the schema: the documents a site's partner clients
registered, and registering more (the documents themselves: ``graphql/documents.py``)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from jobgraph.fields import Info
from jobgraph.graphql import documents as trusted_documents
from jobgraph.identity import partners
from jobgraph.permissions import staff
from jobgraph.policy.staff import Power


@strawberry.type(description="A document a partner client registered (trusted documents).")
class TrustedDocumentInfo:
    id: str = strawberry.field(description="sha256:<hex>, what the client sends as documentId.")
    client: str = strawberry.field(description="site-key:<id> or client:<client id>.")
    operation: str = strawberry.field(description="The document's first line.")
    created_at: datetime


@strawberry.type
class TrustedDocumentsQuery:
    @strawberry.field(
        permission_classes=[staff(Power.CONFIGURE_SITE)],
        description="The documents this site's partner clients registered, oldest first.",
    )
    async def trusted_documents(self, info: Info) -> list[TrustedDocumentInfo]:
        rows = await trusted_documents.listed(info.context.db, info.context.tenant)
        return [
            TrustedDocumentInfo(
                id="sha256:" + row.document_hash,
                client=row.client,
                operation=row.document.strip().splitlines()[0][:200],
                created_at=row.created_at,
            )
            for row in rows
        ]


@strawberry.type
class TrustedDocumentsMutation:
    @strawberry.mutation(
        permission_classes=[staff(Power.CONFIGURE_SITE)],
        description="Register the documents a partner client may run (client: its site "
        "key's id or its OAuth client id); returns their ids, sha256:<hex>.",
    )
    async def register_trusted_documents(
        self, info: Info, client: str, documents: list[str]
    ) -> list[str]:
        context = info.context
        async with context.transaction() as db:
            actor = await partners.actor_of_client(db, context.tenant, client)
            return await trusted_documents.register(
                db, context.tenant, actor, documents, context.viewer.actor
            )
