"""What the schema explorer shows a viewer: introspection lists only the root operations
that viewer may call (an employer in the console sees the employer's operations, not the
operators'). Presentation only: every call is still checked by its permission classes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    print_schema,
)
from strawberry.extensions import SchemaExtension

from jobgraph.graphql.limits import INTROSPECTION_FIELDS, chosen_operation
from jobgraph.permissions import permits
from jobgraph.tenancy.registry import Tenant
from jobgraph.viewer import Viewer, ViewerKind


def hidden_root_fields(
    schema: GraphQLSchema, viewer: Viewer, tenant: Tenant
) -> dict[str, set[str]]:
    hidden: dict[str, set[str]] = {}
    for root in (schema.query_type, schema.mutation_type):
        if root is None:
            continue
        hidden[root.name] = {
            name
            for name, field in root.fields.items()
            if not all(
                permits(permission, viewer, tenant)
                for permission in getattr(
                    field.extensions.get("strawberry-definition"), "permission_classes", ()
                )
                or ()
            )
        }
    return hidden


def _root_keys(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: set[str]
) -> Iterator[str]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode) and selection.name.value in INTROSPECTION_FIELDS:
            yield (selection.alias or selection.name).value
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_keys(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                yield from _root_keys(fragments[name].selection_set, fragments, seen | {name})


def introspection_keys(document: DocumentNode | None, operation_name: str | None) -> set[str]:
    operation, fragments = chosen_operation(document, operation_name)
    if operation is None:
        return set()
    return set(_root_keys(operation.selection_set, fragments, set()))


# A root type may be asked for without its name: __schema { queryType { fields { … } } }.
_ROOT_KEYS = {"queryType": "Query", "mutationType": "Mutation"}


def _prune(value: Any, hidden: dict[str, set[str]], type_name: str | None = None) -> None:
    if isinstance(value, list):
        for item in value:
            _prune(item, hidden)
    elif isinstance(value, dict):
        name = value.get("name", type_name)
        if name in hidden and isinstance(value.get("fields"), list):
            value["fields"] = [f for f in value["fields"] if f.get("name") not in hidden[name]]
        for key, item in value.items():
            _prune(item, hidden, _ROOT_KEYS.get(key))


class IntrospectionVisibility(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        yield
        execution_context = self.execution_context
        # A result in parts (incremental.py) never introspects: refused before it runs.
        data = getattr(execution_context.result, "data", None)
        viewer = getattr(execution_context.context, "viewer", None)
        if not data or viewer is None:
            return
        keys = introspection_keys(
            execution_context.graphql_document, execution_context.operation_name
        )
        if not keys:
            return
        hidden = hidden_root_fields(
            execution_context.schema._schema, viewer, execution_context.context.tenant
        )
        for key in keys:
            _prune(data.get(key), hidden)


# Who may read a site's public schema: whoever calls without signing in.
_PUBLIC_CALLERS = (Viewer.anonymous(), Viewer(ViewerKind.SITE_KEY))


def public_sdl(schema: GraphQLSchema, tenant: Tenant) -> str:
    """The schema a site offers callers that do not sign in (anonymous visitors and its
    partners' site keys): the root operations either may call, and the types they reach.
    What a partner builds against (/schema.graphql); every call is still checked."""
    roots = {}
    for root in (schema.query_type, schema.mutation_type):
        if root is None:
            continue
        hidden = set.intersection(
            *(hidden_root_fields(schema, viewer, tenant)[root.name] for viewer in _PUBLIC_CALLERS)
        )
        fields = {name: field for name, field in root.fields.items() if name not in hidden}
        roots[root.name] = (
            GraphQLObjectType(root.name, fields, description=root.description) if fields else None
        )
    public = GraphQLSchema(
        query=roots.get("Query"), mutation=roots.get("Mutation"), directives=schema.directives
    )
    return print_schema(public) + "\n"
