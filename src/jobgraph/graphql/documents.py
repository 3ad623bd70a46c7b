"""Trusted documents: a partner client registers its operations (from a manifest file or
through the API) and then sends only their ids, ``{"documentId": "sha256:<hex>"}``; where
the tenant sets ``trusted_documents_only``, site keys and partner clients can run nothing
else. The check runs after authentication (the document list is the client's own).

Automatic persisted queries are a separate, optional mode (``automatic_persisted_queries``):
a client sends ``extensions.persistedQuery.sha256Hash`` alone, and the query with it once
when the service answers ``PERSISTED_QUERY_NOT_FOUND``. They save bandwidth, not trust:
any query can be persisted this way, so they are refused where only trusted documents
run."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobgraph.caches import CacheSpec, text_bytes
from jobgraph.errors import (
    BadUserInput,
    Forbidden,
    PersistedQueryNotFound,
    PersistedQueryNotSupported,
    error_response,
)
from jobgraph.hygiene import forbidden_character, refusal
from jobgraph.identity import trusted_documents
from jobgraph.request_state import state_of
from jobgraph.tenancy.registry import Tenant
from jobgraph.viewer import ViewerKind

PARTNER_KINDS = (ViewerKind.SITE_KEY, ViewerKind.PARTNER_CLIENT)


_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# An escaped character in a GraphQL string literal: \uXXXX or \u{X...}.
_ESCAPE = re.compile(r"\\u(?:([0-9A-Fa-f]{4})|\{([0-9A-Fa-f]{1,6})\})")


MAX_JSON_DEPTH = 32  # far deeper than any input type nests


def _check_payload(payload: dict[str, Any]) -> None:
    """Refuse JSON nested past MAX_JSON_DEPTH (the executor coerces variables recursively)
    and, anywhere in the request (its variables, its document's strings, raw or escaped),
    a character no text may hold (``hygiene.py``: PostgreSQL cannot store NUL, XML forbids
    the rest), without recursing here either. Every path passes here, GET and POST, planned
    or not, before any other work on the document."""
    pending: list[tuple[object, int]] = [(payload, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadUserInput(_TOO_DEEP)
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict):
            pending.extend((key, depth + 1) for key in value)
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    query = payload.get("query")
    if isinstance(query, str) and "\\u" in query:
        _check_text(_escaped_characters(query))


def _check_text(text: str) -> None:
    character = forbidden_character(text)
    if character == "U+0000":
        raise BadUserInput(_NUL)
    if character is not None:
        raise refusal("The request", character)


def _escaped_characters(query: str) -> str:
    """The characters a document's escapes stand for (a surrogate pair as one)."""
    code_points = [int(four or braced, 16) for four, braced in _ESCAPE.findall(query)]
    characters = []
    index = 0
    while index < len(code_points):
        point = code_points[index]
        following = code_points[index + 1] if index + 1 < len(code_points) else 0
        if 0xD800 <= point <= 0xDBFF and 0xDC00 <= following <= 0xDFFF:
            point = 0x10000 + ((point - 0xD800) << 10) + (following - 0xDC00)
            index += 1
        characters.append(chr(point) if point <= 0x10FFFF else "\uffff")  # not a character at all
        index += 1
    return "".join(characters)


_TOO_DEEP = f"The request nests JSON more than {MAX_JSON_DEPTH} levels deep."


def _parsed(text: bytes, what: str = "The request body") -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        # orjson stops at its depth limit (1,024 levels); _check_payload refuses past 32.
        if "depth limit" in str(error):
            raise BadUserInput(_TOO_DEEP) from error
        raise BadUserInput(f"{what} is not valid JSON.") from error


_NUL = "Text may not contain the NUL character (\\u0000); remove it and send again."


# Automatic persisted queries: a document's text by its site and hash.
PERSISTED: CacheSpec[tuple[str, str], str] = CacheSpec(
    "persisted_queries",
    key="a site and a document's sha256 hash",
    max_bytes=16 * 2**20,
    weigh=lambda key, query: text_bytes(key[1]) + text_bytes(query),
)


class TrustedDocuments:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        try:
            if scope["method"] == "GET":
                await self._resolve_get(scope)
            else:
                receive = await self._resolve_post(scope, receive)
        except (PersistedQueryNotFound, PersistedQueryNotSupported) as error:
            # A normal turn of the protocol, not a bad request: the client sends the query.
            await error_response(error)(scope, receive, send)
            return
        except (BadUserInput, Forbidden) as error:
            await error_response(error)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _resolve_post(self, scope: Scope, receive: Receive) -> Receive:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        payload = _parsed(body or b"{}")
        if isinstance(payload, list):
            raise BadUserInput("Batched requests are not accepted: send one operation per request.")
        if not isinstance(payload, dict):
            raise BadUserInput("The request body must be a JSON object.")
        resolved = await self._resolve(scope, payload)
        state_of(scope).payload = resolved
        if resolved is not payload:  # a document named by its id: the view gets its text
            body = orjson.dumps(resolved)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay

    async def _resolve_get(self, scope: Scope) -> None:
        """GET carries the same request in its query string (variables and extensions as
        JSON): resolved by the same rules, then handed on as a plain query."""
        params = QueryParams(scope["query_string"])
        if not params:
            return
        payload: dict[str, Any] = dict(params)
        for name in ("variables", "extensions"):
            if name in payload:
                payload[name] = _parsed(payload[name].encode(), f"The {name} parameter")
        resolved = await self._resolve(scope, payload)
        state_of(scope).payload = dict(resolved)
        for name in ("variables", "extensions"):
            if name in resolved:
                resolved[name] = json.dumps(resolved[name])
        scope["query_string"] = urlencode(resolved).encode()

    async def _resolve(self, scope: Scope, payload: dict[str, Any]) -> dict[str, Any]:
        _check_payload(payload)
        state = state_of(scope)
        viewer, tenant, db = state.viewer, state.tenant, state.db
        wanted = payload.get("documentId")
        if wanted is None:
            if tenant.config.policy.api.trusted_documents_only and viewer.kind in PARTNER_KINDS:
                raise Forbidden(
                    "This site runs only registered documents for partner "
                    "clients: send a documentId."
                )
            extensions = payload.get("extensions")
            if isinstance(extensions, dict) and "persistedQuery" in extensions:
                payload = self._automatic(tenant, payload, extensions["persistedQuery"])
            return payload
        digest = str(wanted).removeprefix("sha256:")
        document = await trusted_documents.registered(db, tenant, viewer.actor, digest)
        if document is None:
            raise BadUserInput(
                f"No registered document {wanted} for this client.", field="documentId"
            )
        payload = {key: value for key, value in payload.items() if key != "documentId"}
        payload["query"] = document
        state.document = "sha256:" + digest
        return payload

    def _automatic(
        self, tenant: Tenant, payload: dict[str, Any], persisted: object
    ) -> dict[str, Any]:
        if not tenant.config.policy.api.automatic_persisted_queries:
            raise PersistedQueryNotSupported(
                "This site does not accept automatic persisted queries: send the query."
            )
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if (
            not isinstance(persisted, dict)
            or persisted.get("version") != 1
            or not (isinstance(digest, str) and _SHA256.match(digest))
        ):
            raise BadUserInput(
                "extensions.persistedQuery needs version 1 and a sha256Hash of 64 lower-case "
                "hex digits."
            )
        query = payload.get("query")
        if isinstance(query, str):
            if hashlib.sha256(query.encode()).hexdigest() != digest:
                raise BadUserInput("The sha256Hash is not the hash of the query sent with it.")
            PERSISTED.put((tenant.slug, digest), query)
            return payload
        known = PERSISTED.get((tenant.slug, digest))
        if known is None:
            raise PersistedQueryNotFound(
                "PersistedQueryNotFound: send the query with its hash once, then the hash alone."
            )
        return payload | {"query": known}
