"""Trusted documents: the operations a site's partner clients registered, by client and
hash (the request side, resolving an id to its document: ``graphql/documents.py``)."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.errors import BadUserInput
from jobgraph.identity.models import TrustedDocument
from jobgraph.tenancy.registry import Tenant


def document_id(document: str) -> str:
    return "sha256:" + hashlib.sha256(document.encode()).hexdigest()


async def register(
    db: AsyncSession, tenant: Tenant, client: str, documents: list[str], created_by: str
) -> list[str]:
    ids = []
    for document in documents:
        if not document.strip() or len(document) > 20000:
            raise BadUserInput("Each document must have 1 to 20000 characters.", field="documents")
        digest = document_id(document)
        await db.execute(
            pg_insert(TrustedDocument)
            .values(
                pool_id=tenant.pool_id,
                tenant_slug=tenant.slug,
                id=uuid.uuid4(),
                client=client,
                document_hash=digest.removeprefix("sha256:"),
                document=document,
                created_by=created_by,
            )
            .on_conflict_do_nothing()
        )
        ids.append(digest)
    return ids


async def listed(db: AsyncSession, tenant: Tenant) -> list[TrustedDocument]:
    rows = await db.scalars(
        select(TrustedDocument)
        .where(TrustedDocument.tenant_slug == tenant.slug)
        .order_by(TrustedDocument.created_at)
    )
    return list(rows.all())


async def registered(db: AsyncSession, tenant: Tenant, client: str, digest: str) -> str | None:
    """The document ``client`` registered on the site under this hash (hex), or None:
    read in the request's transaction (its viewer's proof, its query's reads)."""
    document: str | None = await db.scalar(
        select(TrustedDocument.document).where(
            TrustedDocument.tenant_slug == tenant.slug,
            TrustedDocument.client == client,
            TrustedDocument.document_hash == digest,
        )
    )
    return document
