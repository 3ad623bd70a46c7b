"""Public reads that partner sites, their CDNs and their visitors' browsers may cache.

A query sent over GET without credentials, on a site that allows GET and sets
``public_cache_max_age_s``, whose every field is public data (postings, companies, the
site's own settings: ``PUBLIC_TYPES``), is answered with ``Cache-Control: public`` and an
``ETag``. The ETag names the data the answer depends on: the site, the tenant registry's
version and the pool's data version (bumped by triggers on every change to postings and
companies, migration 0015), the time window of the max age (postings expire with time),
and the request itself. ``If-None-Match`` with that ETag answers 304 without executing;
otherwise the answer comes from this process's cache of public responses when it holds one
for that ETag. Everything else at /graphql is ``private, no-store``: resumes, anything a
viewer's identity changes, every mutation.

A hit costs the registry check every request makes (one statement) and no other.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
    parse,
)
from starlette.datastructures import MutableHeaders, QueryParams
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobgraph.caches import CacheSpec, text_bytes
from jobgraph.errors import error_response
from jobgraph.graphql.limits import chosen_operation, first_root_field
from jobgraph.graphql.transport import GRAPHQL_RESPONSE, wants_graphql_response
from jobgraph.http_security import DefaultHeaders, response_headers
from jobgraph.identity.http import limit_anonymous
from jobgraph.ratelimit import RateLimited
from jobgraph.request_state import request_headers, state_of

# The types whose every field is public: the same for every viewer, no personal data, no
# disclosure to record. A test walks the schema from these and checks both.
PUBLIC_TYPES = frozenset(
    {
        "Query",
        "JobConnection",
        "JobEdge",
        "Job",
        "Company",
        "Location",
        "Salary",
        "SalaryRange",
        "SalaryBucket",
        "Prefecture",
        "Broadening",
        "Station",
        "RailwayLine",
        "PageInfo",
        "JobFacets",
        "FacetValue",
        "Tenant",
        "Branding",
        "PublicPolicy",
    }
)
PUBLIC_ROOTS = frozenset({"jobs", "job", "company", "tenant", "prefectures", "railwayLines"})
# Fields of public types that are not public: a posting's statistics are its company's.
PRIVATE_FIELDS = frozenset({("Job", "viewCount"), ("Job", "applicantCount")})
PRIVATE = "private, no-store"
_PRIVATE_HEADERS = DefaultHeaders.of({"Cache-Control": PRIVATE})


@dataclass(frozen=True)
class _Verdict:
    public: bool
    label: str = "-"  # the first root field, for metrics


_NOT_PUBLIC = _Verdict(False)


def public_fields(
    schema: GraphQLSchema, selection_set: SelectionSetNode, parent: str, fragments: dict[str, Any]
) -> Iterator[bool]:
    """Whether each field of the selection (through fragments) is public data."""
    for selection in selection_set.selections:
        if selection.directives:
            yield False  # @skip/@include with variables: keep it simple, execute it
        elif isinstance(selection, FieldNode):
            name = selection.name.value
            if name == "__typename":
                continue
            parent_type = schema.get_type(parent)
            field = getattr(parent_type, "fields", {}).get(name)
            if field is None or (parent, name) in PRIVATE_FIELDS:
                yield False
                continue
            if parent == "Query" and name not in PUBLIC_ROOTS:
                yield False
                continue
            named = get_named_type(field.type)
            if is_leaf_type(named):
                yield True
            elif named.name in PUBLIC_TYPES and selection.selection_set is not None:
                yield from public_fields(schema, selection.selection_set, named.name, fragments)
            else:
                yield False
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            if condition is not None and condition.name.value != parent:
                yield False
            else:
                yield from public_fields(schema, selection.selection_set, parent, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is None or fragment.type_condition.name.value != parent:
                yield False
            else:
                # A cycle (validation refuses it) ends in RecursionError: "not public".
                yield from public_fields(schema, fragment.selection_set, parent, fragments)


RESPONSES: CacheSpec[str, bytes] = CacheSpec(
    "public_responses",
    key="an ETag: the site and its version, the pool's data version, the time window and "
    "the request",
    max_bytes=32 * 2**20,
    weigh=lambda etag, body: text_bytes(etag) + text_bytes(body),
)
VERDICTS: CacheSpec[tuple[str, str | None], _Verdict] = CacheSpec(
    "public_verdicts",
    key="a document's text and operation name (whether it reads public data only)",
    max_bytes=16 * 2**20,
    weigh=lambda key, _verdict: text_bytes(key[0]) + 200,
)


class PublicReads:
    """Between CORS and the request's database session, on /graphql."""

    def __init__(self, app: ASGIApp, schema: GraphQLSchema) -> None:
        self.app = app
        self.schema = schema

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        etag, verdict = self._etag(scope)
        if etag is None:
            response_headers(scope).default(_PRIVATE_HEADERS)
            await self.app(scope, receive, send)
            return
        state = state_of(scope)
        tenant = state.tenant
        services = scope["app"].state.services
        state.measured_operation = verdict.label
        try:
            await limit_anonymous(scope, tenant, services)
        except RateLimited as error:
            headers = {"Retry-After": str(error.retry_after), "Cache-Control": PRIVATE}
            await error_response(error, headers=headers)(scope, receive, send)
            return
        state.anonymous_counted = True  # Authentication does not count it again
        cache_headers = {
            "Cache-Control": f"public, max-age={tenant.config.policy.api.public_cache_max_age_s}",
            "ETag": etag,
            "Vary": "Accept, Origin",
        }
        if etag in _tags(request_headers(scope).get("if-none-match", "")):
            state.outcome = "not modified"
            await Response(status_code=304, headers=cache_headers)(scope, receive, send)
            return
        cached = RESPONSES.get(etag, services.caches)
        if cached is not None:
            state.outcome = "cached"
            await Response(cached, headers=cache_headers, media_type=_media_type(scope))(
                scope, receive, send
            )
            return
        state.shared_response = True
        await self._execute_and_keep(scope, receive, send, etag, cache_headers)

    def _etag(self, scope: Scope) -> tuple[str | None, _Verdict]:
        """The ETag of a cacheable public read, or None if the request is not one."""
        state, no = state_of(scope), _NOT_PUBLIC
        api = state.tenant.config.policy.api
        if scope["method"] != "GET" or not api.public_cache_max_age_s or not api.allow_get_queries:
            return None, no
        headers = request_headers(scope)
        if "authorization" in headers or "x-site-key" in headers:
            return None, no
        params = QueryParams(scope["query_string"])
        query, operation = params.get("query"), params.get("operationName")
        if not query or "documentId" in params or "extensions" in params:
            return None, no
        caches = scope["app"].state.services.caches
        verdict = VERDICTS.get((query, operation), caches)
        if verdict is None:
            verdict = self._verdict(query, operation)
            VERDICTS.put((query, operation), verdict, caches)
        if not verdict.public:
            return None, no
        registry = scope["app"].state.services.registry
        tenant = state.tenant
        versions = (
            tenant.slug,
            registry.version,
            registry.data_versions.get(tenant.pool_id, 0),
            int(time.time() // api.public_cache_max_age_s),
            _media_type(scope),
            query,
            operation,
            params.get("variables", ""),
        )
        digest = hashlib.sha256(orjson.dumps(versions)).hexdigest()[:32]
        return f'"{digest}"', verdict

    def _verdict(self, query: str, operation_name: str | None) -> _Verdict:
        try:
            document = parse(query, max_tokens=2_000)
        except (GraphQLError, RecursionError):
            return _Verdict(False)
        operation, fragments = chosen_operation(document, operation_name)
        if operation is None or operation.operation is not OperationType.QUERY:
            return _Verdict(False)
        try:
            public = all(public_fields(self.schema, operation.selection_set, "Query", fragments))
        except RecursionError:
            return _Verdict(False)
        return _Verdict(public, first_root_field(document, operation_name))

    async def _execute_and_keep(
        self, scope: Scope, receive: Receive, send: Send, etag: str, cache_headers: dict[str, Any]
    ) -> None:
        """Run the request, hold its answer until it is complete, and keep it (and mark it
        public) only if it is a whole success: errors, limits and outages are private."""
        start: Message | None = None
        body = b""

        async def holding_send(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                start = message
                return
            body += message.get("body", b"")
            if message.get("more_body"):
                return
            assert start is not None
            keep = start["status"] == 200 and "errors" not in orjson.loads(body)
            MutableHeaders(scope=start).update(
                cache_headers if keep else {"Cache-Control": PRIVATE}
            )
            if keep:
                RESPONSES.put(etag, body, scope["app"].state.services.caches)
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, holding_send)


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _media_type(scope: Scope) -> str:
    return (
        GRAPHQL_RESPONSE if wants_graphql_response(request_headers(scope)) else "application/json"
    )
