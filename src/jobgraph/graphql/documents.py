"""Trusted documents: a partner client registers its operations (from a manifest file or
through the API) and then sends only their ids, ``{"documentId": "sha256:<hex>"}``; where
the tenant sets ``trusted_documents_only``, site keys and partner clients can run nothing
else. The check runs after authentication (the document list is the client's own)."""

from __future__ import annotations

import hashlib
import json
import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobgraph.errors import BadUserInput, Forbidden, error_body
from jobgraph.identity.models import TrustedDocument
from jobgraph.identity.viewer import ViewerKind
from jobgraph.tenancy.registry import Tenant

PARTNER_KINDS = (ViewerKind.SITE_KEY, ViewerKind.PARTNER_CLIENT)


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


class TrustedDocuments:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            payload = json.loads(body or b"{}")
            if isinstance(payload, list):
                raise BadUserInput(
                    "Batched requests are not accepted: send one operation per request."
                )
            if not isinstance(payload, dict):
                raise BadUserInput("The request body must be a JSON object.")
            body = await self._resolve(scope, payload)
        except json.JSONDecodeError:
            error = BadUserInput("The request body is not valid JSON.")
            await JSONResponse(error_body(error), status_code=400)(scope, receive, send)
            return
        except (BadUserInput, Forbidden) as error:
            status = 403 if isinstance(error, Forbidden) else 400
            await JSONResponse(error_body(error), status_code=status)(scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _resolve(self, scope: Scope, payload: dict) -> bytes:
        state = scope["state"]
        viewer, tenant, db = state["viewer"], state["tenant"], state["db"]
        wanted = payload.get("documentId")
        if wanted is None:
            if tenant.config.policy.api.trusted_documents_only and viewer.kind in PARTNER_KINDS:
                raise Forbidden(
                    "This site runs only registered documents for partner "
                    "clients: send a documentId."
                )
            return json.dumps(payload).encode()
        digest = str(wanted).removeprefix("sha256:")
        async with db.begin():
            document = await db.scalar(
                select(TrustedDocument.document).where(
                    TrustedDocument.tenant_slug == tenant.slug,
                    TrustedDocument.client == viewer.actor,
                    TrustedDocument.document_hash == digest,
                )
            )
        if document is None:
            raise BadUserInput(
                f"No registered document {wanted} for this client.", field="documentId"
            )
        payload = {key: value for key, value in payload.items() if key != "documentId"}
        payload["query"] = document
        return json.dumps(payload).encode()
