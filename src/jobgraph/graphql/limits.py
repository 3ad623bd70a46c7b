"""Per-tenant limits on what one GraphQL document may ask, checked before it is validated
or run (``graphql/admission.py`` says in what order): the aliases written in its text, then
depth, aliases, an estimated cost, a site key where the site asks for one, introspection.

The cost counts each field once, times the size of every list it sits in. A list's size
is the one it will really have: its ``first`` (a literal, a variable, the variable's
default, or the argument's default in the schema; a connection without one returns
``paging.DEFAULT_PAGE_SIZE``), within the site's ``max_page_size``, which the resolvers
enforce by the same rule (``jobgraph.paging``). A list of objects without ``first`` is
counted as a default page. Fragments are expanded where they are spread, so aliases hidden
in fragments count each time, ``__typename`` included; a fragment that spreads itself is
cut off (validation refuses it too). Introspection follows the tenant's policy for the
viewer."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
)
from starlette.websockets import WebSocket
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.types.execution import ExecutionContext
from strawberry.types.graphql import OperationType as StrawberryOperationType

from jobgraph.errors import ErrorCode
from jobgraph.fields import DATABASE_COST, KEYLESS
from jobgraph.graphql import incremental
from jobgraph.graphql.context import Context
from jobgraph.paging import DEFAULT_PAGE_SIZE, MAX_ITEMS
from jobgraph.request_state import state_of
from jobgraph.viewer import ViewerKind

INTROSPECTION_FIELDS = {"__schema", "__type"}
_FIELDS_OF = (GraphQLObjectType, GraphQLInterfaceType)


def _metadata(definition: GraphQLField | None) -> dict[str, Any]:
    declared = definition.extensions.get("strawberry-definition") if definition else None
    return getattr(declared, "metadata", None) or {}


@dataclass(frozen=True)
class PageCharge:
    """A list's items as the cost counts them, for the actual cost (``actual_cost``): where
    the list is in the response (response names from the root), the items counted, and
    what each costs."""

    path: tuple[str, ...]
    items: int
    item_cost: int


@dataclass
class Measures:
    depth: int = 0
    aliases: int = 0
    cost: int = 0
    introspection: bool = False
    needs_key: bool = False  # a root field other than a way to sign in
    deferred: bool = False  # part of its result deferred (@defer, @stream: incremental.py)
    # The lists of objects outside any other list (a search page's edges, not each
    # posting's similar jobs).
    pages: list[PageCharge] = field(default_factory=list)
    # What its counts outside any list cost the database (DATABASE_COST), in its cost.
    database: int = 0


def actual_cost(
    measures: Measures, data: dict[str, Any] | None, counted_in_memory: bool = False
) -> int:
    """What a query cost once it ran: its estimate, less the items its lists did not
    return (a search's last page, a search that found few), and less its counts' cost to
    the database where every count came from memory (``counted_in_memory``:
    ``fields.Counting``). Lists within lists and their counts are charged as estimated."""
    if data is None:
        return measures.cost
    spared = measures.database if counted_in_memory else 0
    unused = 0
    for page in measures.pages:
        found: Any = data
        for name in page.path:
            found = found.get(name) if isinstance(found, dict) else None
        returned = len(found) if isinstance(found, list) else 0
        unused += max(0, page.items - returned) * page.item_cost
    return measures.cost - unused - spared


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        page_ceiling: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.page_ceiling = page_ceiling
        self.measures = Measures()
        self.introspecting = 0
        # The `first` of each connection being measured, innermost last.
        self.pages: list[int] = []
        # The response names down to the field being measured; None inside a list.
        self.path: list[str] | None = []

    def selection_cost(
        self,
        selection_set: SelectionSetNode | None,
        parent: object,
        depth: int,
        spreading: frozenset[str],
    ) -> int:
        if selection_set is None:
            return 0
        cost = 0
        for selection in selection_set.selections:
            if _deferring(selection, self.variables):
                self.measures.deferred = True
            if isinstance(selection, FieldNode):
                cost += self.field_cost(selection, parent, depth, spreading)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                narrowed = self.schema.get_type(condition.name.value) if condition else parent
                cost += self.selection_cost(selection.selection_set, narrowed, depth, spreading)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in spreading:
                    continue  # unknown or cyclic: validation reports it
                narrowed = self.schema.get_type(fragment.type_condition.name.value)
                cost += self.selection_cost(
                    fragment.selection_set, narrowed, depth, spreading | {name}
                )
        return cost

    def field_cost(
        self, node: FieldNode, parent: object, depth: int, spreading: frozenset[str]
    ) -> int:
        name = node.name.value
        if node.alias is not None:
            self.measures.aliases += 1
        if name == "__typename":
            return 0
        if depth == 0 and (name in INTROSPECTION_FIELDS or name not in _root_keyless(parent)):
            self.measures.needs_key = True
        if name in INTROSPECTION_FIELDS:
            # Introspection nests its type references deeper than any data query (GraphiQL's
            # own query is 15 levels); validation's MaxIntrospectionDepthRule bounds its
            # recursion instead, so its depth is not this site's data-depth limit.
            self.measures.introspection = True
            self.introspecting += 1
            try:
                return 1 + self.selection_cost(node.selection_set, None, depth + 1, spreading)
            finally:
                self.introspecting -= 1
        if not self.introspecting:
            self.measures.depth = max(self.measures.depth, depth + 1)
        definition = parent.fields.get(name) if isinstance(parent, _FIELDS_OF) else None
        child_type = get_named_type(definition.type) if definition else None
        size = self.size_of(node, parent, definition)
        database = int(_metadata(definition).get(DATABASE_COST, 0))
        own = 1 + database
        outer = self.path
        if outer is not None:  # outside any list: counted once, given back if spared
            self.measures.database += database
        path = None if outer is None else [*outer, (node.alias or node.name).value]
        if definition is not None and "first" in definition.args and _is_connection(child_type):
            # A connection's `first` counts its edges; its total, facets and page info are
            # one each (and what each costs the database), however long the page.
            self.pages.append(size)
            self.path = path
            try:
                return own + self.selection_cost(
                    node.selection_set, child_type, depth + 1, spreading
                )
            finally:
                self.pages.pop()
                self.path = outer
        listed = definition is not None and isinstance(
            get_nullable_type(definition.type), GraphQLList
        )
        self.path = None if listed else path
        try:
            children = self.selection_cost(node.selection_set, child_type, depth + 1, spreading)
        finally:
            self.path = outer
        if listed and path is not None and children:
            self.measures.pages.append(PageCharge(tuple(path), size, children))
        return own + size * children

    def size_of(self, node: FieldNode, parent: object, definition: GraphQLField | None) -> int:
        """How many items the field returns (1 for a single value)."""
        if definition is None or self.introspecting:
            return 1  # introspection: its recursion is bounded by validation instead
        if "first" in definition.args:
            return max(1, min(self.first_of(node, definition), self.page_ceiling))
        returns = get_nullable_type(definition.type)
        if isinstance(returns, GraphQLList) and is_composite_type(get_named_type(returns)):
            if _is_connection(parent):
                return self.pages[-1] if self.pages else 1  # a connection's edges: its `first`
            return int(_metadata(definition).get(MAX_ITEMS, DEFAULT_PAGE_SIZE))
        return 1

    def first_of(self, node: FieldNode, definition: GraphQLField) -> int:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                return _as_int(self.variables.get(value.name.value))
            if isinstance(value, NullValueNode):
                return DEFAULT_PAGE_SIZE
        default = definition.args["first"].default_value
        return default if isinstance(default, int) else DEFAULT_PAGE_SIZE


def _as_int(given: object) -> int:
    """A variable's `first` as graphql-core will coerce it to an Int: 50.0 is 50, not a
    default page (a cost counted on anything but the coerced value can be cheated)."""
    if isinstance(given, int) and not isinstance(given, bool):
        return given
    if isinstance(given, float) and given.is_integer():
        return int(given)
    return DEFAULT_PAGE_SIZE  # not an Int (true, "50"): coercion refuses it before any work


def _deferring(selection: SelectionNode, variables: dict[str, Any]) -> bool:
    """Whether a selection defers (@defer, @stream), its ``if`` as the request sets it."""
    for directive in selection.directives or ():
        if directive.name.value not in incremental.DIRECTIVES:
            continue
        condition = next((a.value for a in directive.arguments or () if a.name.value == "if"), None)
        if isinstance(condition, BooleanValueNode):
            return condition.value
        if isinstance(condition, VariableNode):
            return variables.get(condition.name.value) is not False
        return True
    return False


def _root_keyless(root: object) -> set[str]:
    fields = root.fields if isinstance(root, _FIELDS_OF) else {}
    return {name for name, field in fields.items() if _metadata(field).get(KEYLESS)}


def first_root_field(document: object, operation_name: str | None) -> str:
    """A bounded name for a request (a field of the schema's root types), for metrics."""
    operation, _fragments = chosen_operation(document, operation_name)
    if operation is not None:
        for selection in operation.selection_set.selections:
            if isinstance(selection, FieldNode):
                return f"{operation.operation.value}.{selection.name.value}"
    return "-"


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
    schema: GraphQLSchema,
    document: object,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    page_ceiling: int,
) -> Measures:
    operation, fragments = chosen_operation(document, operation_name)
    if operation is None:
        return Measures()
    walker = _Walker(schema, fragments, _with_defaults(operation, variables or {}), page_ceiling)
    root = schema.get_root_type(operation.operation)
    walker.measures.cost = walker.selection_cost(operation.selection_set, root, 0, frozenset())
    return walker.measures


def _with_defaults(operation: OperationDefinitionNode, variables: dict[str, Any]) -> dict[str, Any]:
    """The request's variables, and the operation's default for each one it left out."""
    values = dict(variables)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and isinstance(definition.default_value, IntValueNode):
            values[name] = int(definition.default_value.value)
    return values


# A document's text as it is read ahead of the parser (``Written``), by regular
# expressions that each read the whole text in C: a loop over its tokens in Python cost
# as much as parsing a small document. GraphQL's lexical grammar: comments, and strings
# and block strings (whose text may hold anything: each is one token), set aside first;
# then names, punctuators, numbers (white space and commas lie between them).
_TEXT_COMMENT_OR_STRING = re.compile(
    r'([^#"]++)'  # a run of anything else, at C's speed
    r"|\#[^\n\r]*+"
    r'|("""(?:[^"\\]++|\\"""|\\|"(?!""))*+"""'
    r'|"(?:[^"\\\n\r]++|\\.)*+")'
    r'|"'  # a string left open: the parser says so
)
_BARE_TOKEN = re.compile(
    r"[_A-Za-z][_0-9A-Za-z]*|[!$&()\[\]{}:=@|]|\.\.\.|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
)
# Arguments, variable definitions and a directive's arguments: between parentheses (a
# variable's directive nests its own in its definition's); any other colon after a name
# is an alias's.
_PARENTHESIZED = re.compile(r"\([^()]*\)")
_ALIAS = re.compile(r"[_0-9A-Za-z][\s,\ufeff]*:")


@dataclass(frozen=True)
class Written:
    """A document's text as it is read ahead of graphql-core's parser, several times
    faster: a document over a site's limits is refused unparsed. A text that is not
    GraphQL is counted as far as it reads; the parser says what is wrong."""

    bare: str  # its names, numbers and punctuators: comments and strings set aside
    strings: int

    @classmethod
    def read(cls, query: str) -> Written:
        if "#" not in query and '"' not in query:
            return cls(query, 0)
        parts = _TEXT_COMMENT_OR_STRING.findall(query)  # (a run of text, a string)
        strings = sum(1 for _text, string in parts if string)
        return cls(" ".join(text for text, _string in parts if text), strings)

    def tokens(self, limit: int) -> int:
        """Its tokens, counted to one over ``limit`` (more are not read)."""
        strings = min(self.strings, limit + 1)
        more = itertools.islice(_BARE_TOKEN.finditer(self.bare), limit + 1 - strings)
        return strings + len(list(more))

    def aliases(self) -> int:
        """The aliases written in it (a fragment spread several times counts once here;
        the measure of the parsed document counts each spread)."""
        selections, removed = self.bare, 1
        while removed:  # the innermost parentheses first
            selections, removed = _PARENTHESIZED.subn(" ", selections)
        return len(_ALIAS.findall(selections))


def count_rejected(context: Context, *reasons: str) -> None:
    """A request refused before it ran: its outcome in the request log, and each reason
    counted at /metrics (``jobgraph_rejected_queries_total``)."""
    state_of(context.request.scope).outcome = "rejected"
    for reason in reasons:
        context.services.metrics.rejected.labels(reason).inc()


def too_many_tokens(limit: int) -> GraphQLError:
    return _refusal(
        f"The document has more than {limit} tokens, the most this site accepts.", limit=limit
    )


def too_many_aliases(aliases: int, limit: int) -> GraphQLError:
    return _refusal(
        f"The query uses {aliases} aliases; this site allows {limit}.",
        aliases=aliases,
        limit=limit,
    )


def _refusal(message: str, **extensions: object) -> GraphQLError:
    return GraphQLError(
        message, extensions={"code": str(ErrorCode.QUERY_TOO_COMPLEX), **extensions}
    )


def wrong_transport(execution_context: ExecutionContext, context: Context) -> str | None:
    """Why the operation may not run over this transport: subscriptions run over WebSocket
    only, queries and mutations over HTTP only (where their limits, caches and trusted
    documents apply); None where it may."""
    try:
        subscription = execution_context.operation_type is StrawberryOperationType.SUBSCRIPTION
    except CannotGetOperationTypeError:  # no such operation: validation says so
        return None
    over_websocket = isinstance(context.request, WebSocket)
    if subscription and not over_websocket:
        return (
            "Subscriptions are served over WebSocket at /graphql, in the "
            "graphql-transport-ws protocol; queries and mutations over HTTP."
        )
    if over_websocket and not subscription:
        return (
            "This connection carries subscriptions only; send queries and mutations "
            "over HTTP POST to /graphql."
        )
    return None


def refusals(context: Context, found: Measures) -> tuple[list[GraphQLError], list[str]]:
    """What the site's limits refuse of a document so measured, for this viewer, and why."""
    api = context.tenant.config.policy.api
    errors, reasons = [], []
    if found.needs_key and api.require_site_key and context.viewer.kind is ViewerKind.ANONYMOUS:
        reasons.append("site_key")
        errors.append(
            GraphQLError(
                "This site's API answers its partners' site keys and signed-in people: "
                "send the X-Site-Key header, or sign in.",
                extensions={"code": str(ErrorCode.UNAUTHENTICATED)},
            )
        )
        return errors, reasons
    why = incremental.refusal(context.request, found.introspection) if found.deferred else None
    if why is not None:
        reasons.append("transport")
        errors.append(GraphQLError(why, extensions={"code": str(ErrorCode.BAD_USER_INPUT)}))
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
        errors.append(too_many_aliases(found.aliases, api.max_aliases))
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


def introspection_allowed(context: Context) -> bool:
    policy = context.tenant.config.policy.api.introspection
    if policy == "on":
        return True
    if policy == "off":
        return False
    return context.viewer.is_signed_in  # "signed_in": employers in the console, staff


def _is_connection(graphql_type: object) -> bool:
    return str(getattr(graphql_type, "name", "")).endswith("Connection")
