"""Per-tenant limits on what one GraphQL document may ask, checked after validation and
before any resolver runs: depth, aliases, tokens, and an estimated cost that weighs every
list field by its page size (``first``). Fragments are expanded where they are spread, so
aliases hidden in fragments count each time; a fragment that spreads itself is cut off
(validation refuses it too). Introspection follows the tenant's policy for the viewer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from graphql.language import Lexer, Source, TokenKind
from strawberry.extensions import SchemaExtension

from jobgraph.errors import ErrorCode

DEFAULT_PAGE = 20
INTROSPECTION_FIELDS = {"__schema", "__type"}


@dataclass
class Measures:
    depth: int = 0
    aliases: int = 0
    cost: int = 0
    introspection: bool = False


class _Walker:
    def __init__(
        self, fragments: dict[str, FragmentDefinitionNode], variables: dict, page_ceiling: int
    ) -> None:
        self.fragments = fragments
        self.variables = variables
        self.page_ceiling = page_ceiling
        self.measures = Measures()
        self.introspecting = 0

    def selection_cost(
        self, selection_set: SelectionSetNode | None, depth: int, spreading: frozenset[str]
    ) -> int:
        if selection_set is None:
            return 0
        cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                cost += self.field_cost(selection, depth, spreading)
            elif isinstance(selection, InlineFragmentNode):
                cost += self.selection_cost(selection.selection_set, depth, spreading)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in spreading:
                    continue  # unknown or cyclic: validation reports it
                cost += self.selection_cost(fragment.selection_set, depth, spreading | {name})
        return cost

    def field_cost(self, node: FieldNode, depth: int, spreading: frozenset[str]) -> int:
        name = node.name.value
        if name == "__typename":
            return 0
        if node.alias is not None:
            self.measures.aliases += 1
        if name in INTROSPECTION_FIELDS:
            # Introspection nests its type references deeper than any data query (GraphiQL's
            # own query is 15 levels); validation's MaxIntrospectionDepthRule bounds its
            # recursion instead, so its depth is not this site's data-depth limit.
            self.measures.introspection = True
            self.introspecting += 1
            try:
                return 1 + self.selection_cost(node.selection_set, depth + 1, spreading)
            finally:
                self.introspecting -= 1
        if not self.introspecting:
            self.measures.depth = max(self.measures.depth, depth + 1)
        children = self.selection_cost(node.selection_set, depth + 1, spreading)
        return 1 + self.page_of(node) * children

    def page_of(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return max(1, min(int(value.value), self.page_ceiling))
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int):
                    return max(1, min(given, self.page_ceiling))
            return DEFAULT_PAGE
        return 1


def chosen_operation(
    document: object, operation_name: str | None
) -> tuple[OperationDefinitionNode | None, dict[str, FragmentDefinitionNode]]:
    """The operation a request runs (the named one, else the first) and the fragments."""
    definitions = getattr(document, "definitions", ())
    fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [op for op in operations if op.name and op.name.value == operation_name]
    return (operations[0] if operations else None), fragments


def measure(
    document: object, operation_name: str | None, variables: dict | None, page_ceiling: int
) -> Measures:
    operation, fragments = chosen_operation(document, operation_name)
    walker = _Walker(fragments, variables or {}, page_ceiling)
    if operation is not None:
        walker.measures.cost = walker.selection_cost(operation.selection_set, 0, frozenset())
    return walker.measures


def count_tokens(query: str, limit: int) -> int:
    """Tokens in the document, counting no further than just past ``limit``."""
    lexer = Lexer(Source(query))
    count = 0
    while count <= limit:
        token = lexer.advance()
        if token.kind == TokenKind.EOF:
            break
        count += 1
    return count


def _refusal(message: str, **extensions: object) -> GraphQLError:
    return GraphQLError(
        message, extensions={"code": str(ErrorCode.QUERY_TOO_COMPLEX), **extensions}
    )


class OperationLimits(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        execution_context = self.execution_context
        context = execution_context.context
        if hasattr(context, "tenant"):
            scope = context.request.scope
            scope["jobgraph.operation"] = execution_context.operation_name or "anonymous"
            api = context.tenant.config.policy.api
            if count_tokens(execution_context.query or "", api.max_tokens) > api.max_tokens:
                # Refused for its size, whatever else is wrong with it.
                errors = [
                    _refusal(
                        f"The document has more than {api.max_tokens} tokens, the most "
                        "this site accepts.",
                        limit=api.max_tokens,
                    )
                ]
                reasons = ["tokens"]
            elif not execution_context.pre_execution_errors:
                errors, reasons = self._check(execution_context, context)
            else:
                errors, reasons = [], []
            if errors:
                execution_context.pre_execution_errors = errors
                scope["jobgraph.outcome"] = "rejected"
                for reason in reasons:
                    context.services.metrics.rejected.labels(reason).inc()
        yield

    def _check(
        self, execution_context: object, context: object
    ) -> tuple[list[GraphQLError], list[str]]:
        api = context.tenant.config.policy.api
        found = measure(
            execution_context.graphql_document,
            execution_context.operation_name,
            execution_context.variables,
            api.max_page_size,
        )
        errors, reasons = [], []
        if found.introspection and not introspection_allowed(context):
            reasons.append("introspection")
            errors.append(
                GraphQLError(
                    "Introspection is not available to you on this site.",
                    extensions={"code": str(ErrorCode.FORBIDDEN)},
                )
            )
        if found.depth > api.max_depth:
            reasons.append("depth")
            errors.append(
                _refusal(
                    f"The query is {found.depth} levels deep; this site allows {api.max_depth}.",
                    depth=found.depth,
                    limit=api.max_depth,
                )
            )
        if found.aliases > api.max_aliases:
            reasons.append("aliases")
            errors.append(
                _refusal(
                    f"The query uses {found.aliases} aliases; this site allows {api.max_aliases}.",
                    aliases=found.aliases,
                    limit=api.max_aliases,
                )
            )
        if found.cost > api.max_cost:
            reasons.append("cost")
            errors.append(
                _refusal(
                    f"The query's estimated cost is {found.cost}; this site's "
                    f"budget is {api.max_cost}. Ask for smaller pages or "
                    "fewer fields.",
                    cost=found.cost,
                    budget=api.max_cost,
                )
            )
        return errors, reasons


def introspection_allowed(context: object) -> bool:
    policy = context.tenant.config.policy.api.introspection
    if policy == "on":
        return True
    if policy == "off":
        return False
    return context.viewer.is_signed_in  # "signed_in": employers in the console, staff
