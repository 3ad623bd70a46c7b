"""Planned reads: a query over public data (``PUBLIC_TYPES``: postings, companies, the
site's settings) planned once per document and run without graphql-core's executor.

graphql-core's executor costs more per request than a search page's SQL: an execution
context and a completion (and an awaitable) per field. A document whose every field is
public data, without directives, is planned on first sight, once Strawberry's pipeline has
parsed, validated and limited it: its root fields' resolve infos are built, and each root
field's selection is turned into a shaper (``LeanExecutionContext.value_shaper``). A
request with that document then runs the same pipeline (every schema extension, every
limit), and at execution the plan coerces its variables, calls each root field's resolver
exactly as graphql-core would (the same function, with its permission classes and argument
conversion, and a real resolve info; a null the resolver's own default is, left to it),
and shapes the result (``PlannedReads``, the
schema's last extension). The result then leaves as every result does.

Anything a plan does not take is executed by graphql-core as before: a document it cannot
plan, variables that do not coerce, a resolver that raises, a value the shape refuses (a
null where the schema says non-null, a count not worked out with its page). A root field
already resolved is then handed to the executor as its value (``Context.resolved_roots``)
and completed, not resolved again: a page's statement runs once. A differential test runs
generated documents over the public roots through both and compares the responses byte for
byte (``tests/test_compiled_reads.py``). ``JOBGRAPH_COMPILED_READS=false`` turns plans off."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, cast

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.execution.collect_fields import collect_fields
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.pyutils import Path
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionContext
from strawberry.types.graphql import OperationType as StrawberryOperationType

from jobgraph.caches import CacheSpec, text_bytes
from jobgraph.fields import literal_arguments
from jobgraph.graphql.admission import document_bytes
from jobgraph.graphql.context import Context
from jobgraph.graphql.execution import NOT_SHAPED, LeanExecutionContext, Reader
from jobgraph.graphql.limits import chosen_operation
from jobgraph.graphql.public_reads import public_fields


@dataclass(frozen=True)
class _RootField:
    response_name: str
    field: GraphQLField | None  # None: __typename
    node: FieldNode
    info: Any  # Strawberry's resolve info, built once: context and variables per request
    shape: Reader
    # Its argument values where the document writes them all out (no variable): the same
    # for every request, coerced once (Strawberry's conversion builds new objects of them).
    literal_arguments: dict[str, Any] | None = None


@dataclass(frozen=True)
class Plan:
    document: DocumentNode
    operation: OperationDefinitionNode
    root_fields: tuple[_RootField, ...]
    bytes: int  # what it keeps: its document, its resolve infos and shapers

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
        resolved: dict[str, Any] = {}
        for root in self.root_fields:
            if root.field is None:
                data[root.response_name] = "Query"
                continue
            info = root.info._replace(context=context, variable_values=coerced.coerced)
            arguments = root.literal_arguments
            if arguments is None:
                arguments = get_argument_values(root.field, root.node, coerced)
            assert root.field.resolve is not None
            value = root.field.resolve(None, info, **arguments)
            if inspect.isawaitable(value):
                value = await value
            resolved[root.response_name] = value
            shaped = root.shape(value)
            if shaped is NOT_SHAPED:
                # The executor completes what was resolved (a page's statement is not run
                # twice), reporting what the shape could not take.
                context.resolved_roots = resolved
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
    """The plan of a valid document over public data (its site's limits passed), or None
    where graphql-core executes it."""
    operation, fragments = chosen_operation(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
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
        try:
            literal = literal_arguments(field, node)
        except GraphQLError:  # each request's coercion reports it
            literal = None
        if literal is not None:
            literal = _given(field, literal)
        root_fields.append(_RootField(response_name, field, node, info, shape, literal))
    kept = PLAN_BYTES + document_bytes(query, document)
    return Plan(document, operation, tuple(root_fields), kept)


def _as_is(value: Any) -> Any:
    return value


def _given(field: GraphQLField, arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments a root resolver is called with, less each null its own default is
    (its Python default None): the resolver gets the same value, and Strawberry does not
    convert it on every request (a search's four nulls graphql-core fills in)."""
    definition = field.extensions.get("strawberry-definition")
    if definition is None:
        return arguments
    nulls = {argument.graphql_name for argument in definition.arguments if argument.default is None}
    return {
        name: value for name, value in arguments.items() if value is not None or name not in nulls
    }


@dataclass(frozen=True)
class _Unplanned:
    """A document known to take the general executor: kept by its text alone."""

    bytes: int = 0


# A plan's resolve infos and compiled shapers, beyond its document (measured with
# tracemalloc: 11-28 KB).
PLAN_BYTES = 32 * 1024
PLANS: CacheSpec[tuple[str, str | None], Plan | _Unplanned] = CacheSpec(
    "plans",
    key="a document's text and operation name",
    max_bytes=64 * 2**20,
    weigh=lambda key, known: known.bytes + text_bytes(key[0]),
)


class PlannedReads(SchemaExtension):
    """The last of the schema's extensions: where a query's document has a plan, its
    ``on_execute`` runs the plan and sets the result, and graphql-core's executor is not
    called (as Strawberry documents for a response cache). Every extension before it has
    run: the site's token limit while parsing, validation, the site's limits on the
    coerced variables, introspection's visibility, the replica's routing."""

    # A coroutine, run on entering: no async generator for the event loop to track.
    # Strawberry runs such a hook so (its type says generators only).
    async def on_execute(self) -> None:  # type: ignore[override]
        execution_context = self.execution_context
        context = execution_context.context
        if isinstance(context, Context) and context.services.settings.compiled_reads:
            data = await _planned_data(execution_context, context)
            if data is not None:
                execution_context.result = GraphQLExecutionResult(data=data, errors=None)
                context.services.metrics.compiled_reads.inc()


async def _planned_data(
    execution_context: ExecutionContext, context: Context
) -> dict[str, Any] | None:
    """The data of a request answered by its document's plan, or None where the general
    executor answers (no plan, variables that do not coerce, a resolver that raised, a
    value the shape refuses)."""
    query, document = execution_context.query, execution_context.graphql_document
    if (
        not query
        or document is None
        or execution_context.pre_execution_errors
        or execution_context.operation_type is not StrawberryOperationType.QUERY
    ):
        return None
    caches = context.services.caches
    key = (query, execution_context.operation_name)
    known = PLANS.get(key, caches)
    if known is None:
        schema = execution_context.schema._schema
        try:
            known = (
                compile_plan(
                    schema,
                    document,
                    query,
                    execution_context.operation_name,
                    execution_context.variables or {},
                )
                or _Unplanned()
            )
        except VariablesRefused:  # planned with the next request's variables
            return None
        PLANS.put(key, known, caches)
    if isinstance(known, _Unplanned):
        return None
    try:
        return await known.run(
            execution_context.schema._schema, context, execution_context.variables
        )
    except Exception:  # the executor reports it, located and coded
        return None
