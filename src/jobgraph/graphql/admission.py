"""What a GraphQL document passes before it runs, on every path, in this order:

0. its caller, over HTTP: one that sent again, told to wait, queries its budget could not
   hold is refused unread until the wait ends (``budget.refused_unread``);
1. the site's limit of aliases and its token limit, read ahead of the parser: a document
   over either is refused unparsed (``limits.Written``; graphql-core's ``max_tokens`` with
   the site's number stays as a second guard); over HTTP, what reading a new document
   costs taken from the caller's budget, or the document refused unparsed (``budget.py``);
2. the site's limits on the parsed document, with the request's variables as graphql-core
   will coerce them: a site key where the site asks for one, introspection, depth, aliases,
   cost (``limits.py``), and the transport (subscriptions over WebSocket only); then its
   cost taken from the caller's budget (``budget.py``);
3. validation against the schema.

Parsing and validating cost more than resolving a search page, so each document is parsed
and validated once and kept (``DOCUMENTS``), and each measure kept (``MEASURES``); a
document refused at any step leaves nothing in either. Execution comes after, planned or
not (``compiled.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import orjson
from graphql import DocumentNode, GraphQLError, TokenKind, validate
from graphql.execution import ExperimentalIncrementalExecutionResults as IncrementalResults
from strawberry.extensions import SchemaExtension

from jobgraph.caches import CacheSpec, text_bytes
from jobgraph.errors import ErrorCode
from jobgraph.graphql import budget
from jobgraph.graphql.budget import budgeted
from jobgraph.graphql.context import Context
from jobgraph.graphql.execution import SHAPER_BYTES, KeptWork
from jobgraph.graphql.limits import (
    Measures,
    Written,
    actual_cost,
    count_rejected,
    first_root_field,
    measure,
    refusals,
    too_many_aliases,
    too_many_tokens,
    wrong_transport,
)
from jobgraph.policy.config import MAX_TOKENS_CEILING
from jobgraph.ratelimit import Bucket
from jobgraph.request_state import state_of

# What a parsed document takes per token of its text (graphql-core 3.3's nodes with their
# locations, measured with tracemalloc: 420-450 bytes).
BYTES_PER_TOKEN = 512


@dataclass(frozen=True)
class KnownDocument:
    document: DocumentNode
    # Validation's errors (none: valid), once validated: only a document within the
    # site's limits is.
    errors: tuple[GraphQLError, ...] | None
    bytes: int  # its parse and text; its kept work weighs apart (``weight``)
    # What its requests work out once (the executor's shapers of its selections, what
    # resolvers derive from theirs), kept for all its requests; None for a document with
    # directives (they may select differently from one request to the next).
    work: KeptWork | None

    @classmethod
    def parsed(cls, query: str, document: DocumentNode) -> KnownDocument:
        tokens, directives = _tokens(document)
        work = None if directives else KeptWork(most=tokens)
        return cls(document, None, BYTES_PER_TOKEN * tokens + text_bytes(query), work)

    @property
    def weight(self) -> int:
        kept = len(self.work) if self.work is not None else 0
        return self.bytes + SHAPER_BYTES * kept


def _tokens(document: DocumentNode) -> tuple[int, bool]:
    """How many tokens a parsed document has, and whether it has a directive."""
    tokens, directives = 0, False
    token = document.loc.start_token if document.loc else None
    while token is not None:
        tokens += 1
        directives = directives or token.kind is TokenKind.AT
        token = token.next
    return tokens, directives


def document_bytes(query: str, document: DocumentNode) -> int:
    """What a parsed document keeps: its nodes, and its text (its locations hold it)."""
    return BYTES_PER_TOKEN * _tokens(document)[0] + text_bytes(query)


DOCUMENTS: CacheSpec[tuple[str, int], KnownDocument] = CacheSpec(
    "documents",
    key="a document's text and the token limit it was read under",
    max_bytes=64 * 2**20,
    weigh=lambda key, known: known.weight + text_bytes(key[0]),
)
MEASURES: CacheSpec[tuple[str, str | None, bytes, int], Measures] = CacheSpec(
    "measures",
    key="a document's text, its operation, its variables and the site's page ceiling",
    max_bytes=16 * 2**20,
    weigh=lambda key, _measures: text_bytes(key[0]) + text_bytes(key[2]) + 200,
)


def _measures_key(
    query: str | None, operation_name: str | None, variables: Any, page_ceiling: int
) -> tuple[str, str | None, bytes, int] | None:
    """What a measure is kept by: None where it cannot be kept (variables not JSON)."""
    if not query:
        return None
    try:
        encoded = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    return (query, operation_name, encoded, page_ceiling)


async def _validation(schema: Any, document: DocumentNode, rules: Any) -> tuple[GraphQLError, ...]:
    """Validation's errors, found on a thread of their own (``Admission._validated``)."""
    return tuple(await asyncio.to_thread(validate, schema, document, rules))


class Admission(SchemaExtension):
    """The steps above, for every request over HTTP and every subscription."""

    def __init__(self) -> None:
        self.known: KnownDocument | None = None
        self.measures: Measures | None = None
        self.charged: Bucket | None = None  # the caller's bucket, the query's cost taken
        self.read_cost = 0  # what reading its document cost the caller (a new one)

    # Parsing's and validation's hooks run on entering their stage only (coroutines, not
    # async generators: the event loop tracks each of those in a weak set, a measurable
    # share of a page; Strawberry runs such a hook so, though its type says generators
    # only): what follows parsing is done as validation begins. Execution's is a plain
    # generator: nothing it does awaits.
    async def on_parse(self) -> None:  # type: ignore[override]
        execution_context = self.execution_context
        context = execution_context.context
        if not isinstance(context, Context):  # outside a site's request: the platform's
            execution_context.parse_options["max_tokens"] = MAX_TOKENS_CEILING
            return
        if budgeted(context) and (unread := budget.refused_unread(context)) is not None:
            raise self._rejected(context, "budget", unread)
        api = context.tenant.config.policy.api
        limit = api.max_tokens
        execution_context.parse_options["max_tokens"] = limit
        query = execution_context.query or ""
        self.known = DOCUMENTS.get((query, limit), context.services.caches)
        if self.known is not None:
            execution_context.graphql_document = self.known.document
        else:  # the aliases it writes out and its tokens, refused before it is parsed
            written = Written.read(query)
            if (aliases := written.aliases()) > api.max_aliases:
                refusal = too_many_aliases(aliases, api.max_aliases)
                raise self._rejected(context, "aliases", refusal)
            tokens = written.tokens(limit)
            if tokens > limit:
                raise self._rejected(context, "tokens", too_many_tokens(limit))
            if budgeted(context):
                await self._charge_reading(context, budget.read_cost(api, tokens))
        # Parsed next where it was not kept, under the site's token limit.

    async def _charge_reading(self, context: Context, points: int) -> None:
        """What reading a new document costs, taken from the caller's budget, or
        THROTTLED before it is read."""
        if points == 0:
            return
        bucket = await budget.take(context, points)
        if not bucket.taken:
            raise self._rejected(context, "budget", budget.refuse_reading(context, points, bucket))
        self.read_cost = points

    @staticmethod
    def _rejected(context: Context, reason: str, refusal: GraphQLError) -> GraphQLError:
        count_rejected(context, reason)
        return refusal

    async def on_validate(self) -> None:  # type: ignore[override]
        execution_context = self.execution_context
        context = execution_context.context
        document = execution_context.graphql_document
        if self.known is None and document is not None and isinstance(context, Context):
            self.known = KnownDocument.parsed(execution_context.query or "", document)
        if not isinstance(context, Context) or execution_context.pre_execution_errors:
            return
        state = state_of(context.request.scope)
        state.operation = execution_context.operation_name or "anonymous"
        state.measured_operation = state.document or first_root_field(
            execution_context.graphql_document, execution_context.operation_name
        )
        errors, reasons = self._refusals(context)
        if not errors and budgeted(context):
            errors, reasons = await self._charged(context)
        elif self.measures is not None and budgeted(context):  # refused: nothing taken
            bucket = await budget.take(context, 0)
            self._report_cost(context, self.measures.cost, 0, bucket)
        if errors:
            execution_context.pre_execution_errors = errors
            count_rejected(context, *reasons)
            return
        execution_context.pre_execution_errors = list(await self._validated(context))

    async def _charged(self, context: Context) -> tuple[list[GraphQLError], list[str]]:
        """The query's estimated cost taken from the caller's budget, or THROTTLED."""
        assert self.measures is not None
        requested = self.measures.cost
        bucket = await budget.take(context, requested)
        if not bucket.taken:
            self._report_cost(context, requested, 0, bucket)
            return [budget.refuse(context, requested, bucket)], ["budget"]
        self.charged = bucket
        self._report_cost(context, requested, requested, bucket)  # until it has run
        return [], []

    def _report_cost(self, context: Context, requested: int, actual: int, bucket: Bucket) -> None:
        self.execution_context.extensions_results["cost"] = budget.cost_extension(
            context, requested, actual, bucket, self.read_cost
        )

    def _refusals(self, context: Context) -> tuple[list[GraphQLError], list[str]]:
        execution_context = self.execution_context
        why = wrong_transport(execution_context, context)
        if why is not None:
            return [GraphQLError(why, extensions={"code": str(ErrorCode.BAD_USER_INPUT)})], [
                "transport"
            ]
        schema, document = execution_context.schema._schema, execution_context.graphql_document
        operation_name, variables = execution_context.operation_name, execution_context.variables
        page_ceiling = context.tenant.config.policy.api.max_page_size
        caches = context.services.caches
        key = _measures_key(execution_context.query, operation_name, variables, page_ceiling)
        kept = MEASURES.get(key, caches) if key is not None else None
        found = (
            kept
            if kept is not None
            else measure(schema, document, operation_name, variables, page_ceiling)
        )
        self.measures = found
        errors, reasons = refusals(context, found)
        if kept is None and not errors and key is not None:
            MEASURES.put(key, found, caches)  # a refused document leaves nothing
        return errors, reasons

    async def _validated(self, context: Context) -> tuple[GraphQLError, ...]:
        """Validation's errors: the kept ones, or found now and kept with the document.

        A new document is validated on a thread of its own: validating a whole page takes
        longer than a dozen cheap requests, and on the event loop every other request
        waited for it; on a thread they are served between its slices of the interpreter
        (``sys.getswitchinterval()``, 5 ms), so a caller sending new documents slows its
        own answers more than others'. Validation reads the schema and the document only.

        And once for all the requests that bring the same text under the same rules at
        once: when 200 clients start together, each worker's first ten requests each
        validated the same few documents on threads of their own (28 validations a worker
        in its first moment, 11-23 ms each as they shared the interpreter), and the
        queue behind them waited past its limit and was shed."""
        execution_context = self.execution_context
        known = self.known
        if known is not None and known.errors is not None:
            return known.errors
        document = execution_context.graphql_document
        assert document is not None
        schema, rules = execution_context.schema._schema, execution_context.validation_rules
        key = (execution_context.query, context.tenant.config.policy.api.max_tokens, *rules)
        errors, _validated_here = await context.services.validating.result(
            key, lambda: _validation(schema, document, rules)
        )
        if known is not None:
            self.known = replace(known, errors=errors)
            self._keep(context)
        return errors

    def on_execute(self) -> Iterator[None]:
        """The document's kept work lent to the executor and the resolvers (the document
        weighed again where it gained some); what the query did not use of its cost given
        back; a result in parts given the request's extensions."""
        context, known = self.execution_context.context, self.known
        if not isinstance(context, Context):
            yield
            return
        work = known.work if known is not None else None
        before = len(work) if work is not None else 0
        context.kept_work = work
        yield
        if work is not None and len(work) != before:
            self._keep(context)
        if self.charged is not None and self.measures is not None:
            self._settle_cost(context, self.measures, self.charged)
        result = self.execution_context.result
        if isinstance(result, IncrementalResults):
            # Strawberry leaves a result in parts without the request's extensions: the
            # first part carries them (its cost), as a whole result does. The schema's
            # first extension, this runs last.
            initial = result.initial_result
            initial.extensions = {
                **(initial.extensions or {}),
                **self.execution_context.extensions_results,
            }

    def _settle_cost(self, context: Context, measures: Measures, bucket: Bucket) -> None:
        # A result in parts has no data here: charged its estimate (incremental.py).
        data = getattr(self.execution_context.result, "data", None)
        actual = actual_cost(measures, data, context.counting.spared_the_database)
        if actual < measures.cost:
            bucket = budget.give_back(context, measures.cost - actual, bucket)
        self._report_cost(context, measures.cost, actual, bucket)

    def _keep(self, context: Context) -> None:
        assert self.known is not None
        limit = context.tenant.config.policy.api.max_tokens
        key = (self.execution_context.query or "", limit)
        DOCUMENTS.put(key, self.known, context.services.caches)
