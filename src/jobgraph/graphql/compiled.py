"""Compiled reads: a query over public data (``PUBLIC_TYPES``: postings, companies, the
site's settings) planned once per document and run without the general machinery.

Strawberry's view and graphql-core's executor cost more per request than a search page's
SQL: a request's extensions, its execution context, and a completion per field. A document
whose every field is public data, without directives, is planned on first sight: parsed
and validated as Strawberry would, its root fields' resolve infos built, and each root
field's selection turned into a shaper (``LeanExecutionContext.value_shaper``). A request
with that document then coerces its variables, passes the site's limits, calls each root
field's resolver exactly as graphql-core would (the same function, with its permission
classes and argument conversion, and a real resolve info), and shapes the result straight
into its response.

Anything a plan does not take goes down the full path, which answers as it always did:
a document it cannot plan, variables that do not coerce, a limit the document exceeds, a
resolver that raises, a value the shape refuses (a null where the schema says non-null).
A differential test runs documents of every kind through both paths and compares the
responses byte for byte (``tests/test_compiled_reads.py``). ``JOBGRAPH_COMPILED_READS=false``
turns plans off."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, cast

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
    specified_rules,
)
from graphql.execution.collect_fields import collect_fields
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.pyutils import Path
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionResult

from jobgraph.graphql.context import Context
from jobgraph.graphql.execution import NOT_SHAPED, LeanExecutionContext, Reader
from jobgraph.graphql.limits import (
    chosen_operation,
    first_root_field,
    measured,
    refusals,
    tokens_refusal,
)
from jobgraph.graphql.public_reads import public_fields
from jobgraph.graphql.replicas import route_query
from jobgraph.graphql.results import settle
from jobgraph.graphql.transport import GRAPHQL_RESPONSE, wants_graphql_response
from jobgraph.lru import LRU
from jobgraph.request_state import state_of


@dataclass(frozen=True)
class _RootField:
    response_name: str
    field: GraphQLField | None  # None: __typename
    node: FieldNode
    info: Any  # Strawberry's resolve info, built once: context and variables per request
    shape: Reader


@dataclass(frozen=True)
class Plan:
    document: DocumentNode
    operation: OperationDefinitionNode
    root_fields: tuple[_RootField, ...]
    characters: int  # of its document: what the plans' cache weighs it by

    async def run(
        self, schema: GraphQLSchema, context: Context, variables: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """The response's data, or None where the full path must answer."""
        coerced = get_variable_values(
            schema, self.operation.variable_definitions or (), variables or {}
        )
        if isinstance(coerced, list):  # errors: the full path reports them
            return None
        data: dict[str, Any] = {}
        for root in self.root_fields:
            if root.field is None:
                data[root.response_name] = "Query"
                continue
            info = root.info._replace(context=context, variable_values=coerced.coerced)
            arguments = (
                get_argument_values(root.field, root.node, coerced)
                if root.field.args or root.node.arguments
                else {}
            )
            assert root.field.resolve is not None
            value = root.field.resolve(None, info, **arguments)
            if inspect.isawaitable(value):
                value = await value
            shaped = root.shape(value)
            if shaped is NOT_SHAPED:
                return None
            data[root.response_name] = shaped
        return data


class VariablesRefused(Exception):
    """A document is planned with its first request's variables, and these did not coerce."""


def compile_plan(
    schema: GraphQLSchema,
    document: DocumentNode,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any],
) -> Plan | None:
    """The plan of a parsed document over public data (its site's limits passed), or None
    where it takes the full path."""
    operation, fragments = chosen_operation(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return None
    if validate_document(schema, document, tuple(specified_rules)):
        return None
    try:
        if not all(public_fields(schema, operation.selection_set, "Query", fragments)):
            return None
    except RecursionError:
        return None
    built = LeanExecutionContext.build(
        schema, document, raw_variable_values=variables, operation_name=operation_name
    )
    if isinstance(built, list):  # these variables do not coerce: the full path says so
        raise VariablesRefused
    executor = cast("LeanExecutionContext", built)
    root_type = schema.query_type
    assert root_type is not None
    grouped, defers, _forbidden = collect_fields(
        schema, executor.fragments, executor.variable_values, root_type, operation
    )
    if defers:
        return None
    root_fields = []
    for response_name, details in grouped.items():
        node = details[0].node
        if node.name.value == "__typename":
            root_fields.append(_RootField(response_name, None, node, None, _as_is))
            continue
        field = root_type.fields.get(node.name.value)
        if field is None or field.resolve is None:
            return None
        shape = executor.value_shaper(field.type, details)
        if shape is None:
            return None
        nodes = [detail.node for detail in details]
        path = Path(None, response_name, "Query")
        info = executor.build_resolve_info(field, nodes, root_type, path)
        root_fields.append(_RootField(response_name, field, node, info, shape))
    return Plan(document, operation, tuple(root_fields), len(query))


def _as_is(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class _Unplanned:
    """A document known to take the full path."""

    characters: int


# What this path does in place of each of the schema's extensions (graphql/schema.py). A
# test fails when the schema gains an extension not named here: it would not apply to
# planned reads until this path does its part.
MIRRORED_EXTENSIONS = {
    "SiteTokenLimit": "tokens_refusal() before any work on the document",
    "ParserCache": "a plan keeps its parsed document",
    "ValidationCache": "a document is validated once, when planned",
    "OperationLimits": "measured() and refusals() before planning, and at every request",
    "IntrospectionVisibility": "only public types are planned: never introspection",
    "ReadsAfterWrites": "route_query()",
}


class CompiledReads:
    """Innermost on /graphql, before the GraphQL view: runs a request by its document's
    plan where it has one, else hands it to the view."""

    def __init__(self, app: ASGIApp, schema: GraphQLSchema, enabled: bool = True) -> None:
        self.app = app
        self.schema = schema
        self.enabled = enabled
        # Plans by document text and operation name, within a budget of the documents'
        # characters (a plan holds its parsed document).
        self.plans: LRU[tuple[str, str | None], Plan | _Unplanned] = LRU(
            8_000_000, size=lambda known: known.characters
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._answer(scope) if scope["type"] == "http" and self.enabled else None
        if response is None:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)

    async def _answer(self, scope: Scope) -> Response | None:
        """The response of a planned request, or None where the view must answer."""
        state = state_of(scope)
        payload = state.payload or {}
        query, operation_name = payload.get("query"), payload.get("operationName")
        variables = payload.get("variables")
        if (
            not isinstance(query, str)
            or not isinstance(operation_name, str | None)
            or not isinstance(variables, dict | None)
        ):
            return None
        # The site's limits come before any work on the document: its tokens while it is
        # read, then depth, aliases and cost, before it is validated, planned or kept.
        api = state.tenant.config.policy.api
        if tokens_refusal(api, query) is not None:
            return None  # refused: the full path says why
        key = (query, operation_name)
        known = self.plans.get(key)
        if isinstance(known, _Unplanned):
            return None
        request = Request(scope)
        # What a resolver sets on its response (a header) joins the answer, as in the view.
        sub_response = Response()
        del sub_response.headers["content-length"]
        context = Context.of_request(request, sub_response)
        if known is not None:
            document = known.document
        else:
            try:
                document = parse(query, max_tokens=api.max_tokens)
            except GraphQLError:
                return None
        found = measured(self.schema, document, query, operation_name, variables, api.max_page_size)
        if refusals(context, found)[0]:
            return None  # refused: the full path says why, and nothing was kept
        plan = known if known is not None else self._plan(key, document, variables or {})
        if plan is None:
            return None
        named = plan.operation.name
        state.operation = operation_name or (named.value if named else "anonymous")
        state.measured_operation = state.document or first_root_field(plan.document, operation_name)
        state.context = context
        await route_query(context)
        try:
            data = await plan.run(self.schema, context, variables)
        except Exception:  # the full path reports it, located and coded
            return None
        if data is None:
            return None
        result = ExecutionResult(data=data, errors=None)
        await settle(context, result)
        if result.errors:
            return None
        context.services.metrics.compiled_reads.inc()
        media_type = (
            GRAPHQL_RESPONSE if wants_graphql_response(Headers(scope=scope)) else "application/json"
        )
        response = Response(orjson.dumps({"data": data}), media_type=media_type)
        response.headers.raw.extend(sub_response.headers.raw)
        return response

    def _plan(
        self, key: tuple[str, str | None], document: DocumentNode, variables: dict[str, Any]
    ) -> Plan | None:
        """A new plan of a document within its site's limits, kept (or kept as unplannable)."""
        query, operation_name = key
        try:
            known = compile_plan(
                self.schema, document, query, operation_name, variables
            ) or _Unplanned(len(query))
        except VariablesRefused:  # planned with the next request's variables
            return None
        self.plans.put(key, known)
        return None if isinstance(known, _Unplanned) else known
