"""Each tenant's privacy policy and terms: versioned documents, each in force from its
effective date until a newer version's. Registration records the versions the seeker
accepted; once a new version is in force, signed-in seekers are asked to accept it, and
every acceptance (version, time) is kept and exported with the seeker's data."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.agreements.models import DocumentAcceptance, LegalDocument
from jobgraph.errors import BadUserInput, required_text
from jobgraph.tenancy.registry import Tenant

MAX_BODY = 200_000
# A document is never backdated: what people accepted cannot change behind them.
BACKDATING_TOLERANCE = timedelta(minutes=5)


class DocumentKind(StrEnum):
    PRIVACY = "PRIVACY"
    TERMS = "TERMS"


async def publish(
    db: AsyncSession,
    tenant: Tenant,
    kind: DocumentKind,
    version: str,
    title: str,
    body: str,
    effective_at: datetime | None,
    actor: str,
) -> LegalDocument:
    now = datetime.now(UTC)
    effective_at = effective_at or now
    if effective_at.tzinfo is None:
        raise BadUserInput("effectiveAt needs a time zone (e.g. 2026-12-01T00:00:00Z).")
    if effective_at < now - BACKDATING_TOLERANCE:
        raise BadUserInput(
            "effectiveAt is in the past: a document takes effect now or later.",
            field="effectiveAt",
        )
    version = required_text(version, "version", 40)
    title = required_text(title, "title", 200)
    body = required_text(body, "body", MAX_BODY)
    exists = await db.scalar(
        select(LegalDocument.id).where(
            LegalDocument.pool_id == tenant.pool_id,
            LegalDocument.tenant_slug == tenant.slug,
            LegalDocument.kind == str(kind),
            LegalDocument.version == version,
        )
    )
    if exists is not None:
        raise BadUserInput(
            f"Version '{version}' of this document exists; publish a new version.",
            field="version",
        )
    row = LegalDocument(
        pool_id=tenant.pool_id,
        tenant_slug=tenant.slug,
        id=uuid.uuid4(),
        created_at=now,
        kind=str(kind),
        version=version,
        title=title,
        body=body,
        effective_at=effective_at,
        published_by=actor,
    )
    db.add(row)
    await db.flush()
    return row


def _governing(tenant: Tenant) -> list[str]:
    """Whose documents may govern this site: its own, and for a partner site its main
    site's, which apply where the partner published none of a kind (one policy for "the
    site and its partner sites")."""
    return [tenant.slug, *([tenant.config.parent] if tenant.config.parent else [])]


async def in_force(db: AsyncSession, tenant: Tenant) -> list[LegalDocument]:
    """The version of each kind in force now (none if the site published none)."""
    rows = await db.scalars(
        select(LegalDocument)
        .ext(distinct_on(LegalDocument.kind))
        .where(
            LegalDocument.pool_id == tenant.pool_id,
            LegalDocument.tenant_slug.in_(_governing(tenant)),
            LegalDocument.effective_at <= datetime.now(UTC),
        )
        .order_by(
            LegalDocument.kind,
            (LegalDocument.tenant_slug != tenant.slug),  # the site's own first
            LegalDocument.effective_at.desc(),
        )
    )
    return list(rows.all())


async def versions(db: AsyncSession, tenant: Tenant, kind: DocumentKind) -> list[LegalDocument]:
    """Every version of a kind, newest first, those not yet in force included."""
    rows = (
        await db.scalars(
            select(LegalDocument)
            .where(
                LegalDocument.pool_id == tenant.pool_id,
                LegalDocument.tenant_slug.in_(_governing(tenant)),
                LegalDocument.kind == str(kind),
            )
            .order_by(LegalDocument.effective_at.desc())
        )
    ).all()
    own = [row for row in rows if row.tenant_slug == tenant.slug]
    return own or list(rows)


async def to_accept(db: AsyncSession, tenant: Tenant, account_id: uuid.UUID) -> list[LegalDocument]:
    """The documents in force that this account has not accepted."""
    return await _unaccepted(db, tenant, account_id, await in_force(db, tenant))


async def _unaccepted(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, current: list[LegalDocument]
) -> list[LegalDocument]:
    accepted = set(
        (
            await db.scalars(
                select(DocumentAcceptance.document_id).where(
                    DocumentAcceptance.pool_id == tenant.pool_id,
                    DocumentAcceptance.account_id == account_id,
                    DocumentAcceptance.document_id.in_([row.id for row in current]),
                )
            )
        ).all()
    )
    return [row for row in current if row.id not in accepted]


async def accept(
    db: AsyncSession,
    tenant: Tenant,
    account_id: uuid.UUID,
    document_ids: Iterable[uuid.UUID],
    *,
    all_required: bool = False,
) -> list[LegalDocument]:
    """Record the acceptance of documents in force; with ``all_required`` (registration),
    every document in force must be among them."""
    current = {row.id: row for row in await in_force(db, tenant)}
    wanted = set(document_ids)
    _check_acceptance(current, wanted, all_required)
    pending = {row.id for row in await _unaccepted(db, tenant, account_id, [*current.values()])}
    now = datetime.now(UTC)
    for document_id in sorted(wanted & pending):
        db.add(
            DocumentAcceptance(
                pool_id=tenant.pool_id,
                tenant_slug=tenant.slug,
                id=uuid.uuid4(),
                created_at=now,
                account_id=account_id,
                document_id=document_id,
            )
        )
    await db.flush()
    return [current[document_id] for document_id in sorted(wanted)]


async def acceptances(db: AsyncSession, account_id: uuid.UUID) -> list[dict[str, Any]]:
    """For the seeker's data export."""
    rows = await db.execute(
        select(
            LegalDocument.tenant_slug,
            LegalDocument.kind,
            LegalDocument.version,
            DocumentAcceptance.created_at,
        )
        .join(
            LegalDocument,
            (LegalDocument.pool_id == DocumentAcceptance.pool_id)
            & (LegalDocument.id == DocumentAcceptance.document_id),
        )
        .where(DocumentAcceptance.account_id == account_id)
        .order_by(DocumentAcceptance.created_at)
    )
    return [
        {"site": site, "document": kind, "version": version, "accepted_at": at.isoformat()}
        for site, kind, version, at in rows.all()
    ]


async def accept_confirmed_registration(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, document_ids: Iterable[uuid.UUID]
) -> None:
    """What a registrant accepted, recorded once the address is confirmed: the versions
    still in force (one that came in force since is asked for as of any account)."""
    current = {row.id for row in await in_force(db, tenant)}
    await accept(db, tenant, account_id, [i for i in document_ids if i in current])


async def check_registration_acceptance(
    db: AsyncSession, tenant: Tenant, document_ids: Iterable[uuid.UUID]
) -> None:
    """Registration accepts every document in force (checked before the account exists)."""
    current = {row.id: row for row in await in_force(db, tenant)}
    _check_acceptance(current, set(document_ids), all_required=True)


def _check_acceptance(
    current: dict[uuid.UUID, LegalDocument], wanted: set[uuid.UUID], all_required: bool
) -> None:
    if unknown := wanted - current.keys():
        raise BadUserInput(
            f"Not a document in force on this site: {', '.join(sorted(map(str, unknown)))}; "
            "accept the versions the legalDocuments query returns.",
            field="acceptedDocumentIds",
        )
    if all_required and (missing := [row for row in current.values() if row.id not in wanted]):
        raise BadUserInput(
            "To register, accept "
            + " and ".join(f"the {row.title} (version {row.version})" for row in missing)
            + ": pass their ids in acceptedDocumentIds.",
            field="acceptedDocumentIds",
            documents=[str(row.id) for row in missing],
        )
