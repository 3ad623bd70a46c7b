"""A faster completion of plain leaf fields, the bulk of every list page.

graphql-core resolves each field the same way: it builds a resolve info, asks the field's
resolver, and completes the value through its generic path. For a field Strawberry
resolves by plain attribute access (no resolver, no arguments, no permission) whose type
is a scalar or an enum (or a list of them), the result can be read and serialised directly.
Only the successful case takes the short path: a missing non-null value or a value the
type cannot serialise goes the ordinary way, which reports the error exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_Serialize = Callable[[Any], Any]
_NOT_LEAF = object()


class _Fallback(Exception):
    """The short path does not apply to this value: take graphql-core's."""


def _leaf(type_: Any) -> _Serialize | None:
    """A serialiser of ``type_`` that raises _Fallback where graphql-core would report an
    error (null for a non-null type), or None if the type is not a leaf or leaf list."""
    nullable = not isinstance(type_, GraphQLNonNull)
    inner = type_ if nullable else type_.of_type
    if isinstance(inner, (GraphQLScalarType, GraphQLEnumType)):
        serialize = inner.serialize

        def leaf(value: Any) -> Any:
            if value is None:
                if nullable:
                    return None
                raise _Fallback
            return serialize(value)

        return leaf
    if isinstance(inner, GraphQLList):
        item = _leaf(inner.of_type)
        if item is None:
            return None

        def leaf_list(value: Any) -> Any:
            if value is None:
                if nullable:
                    return None
                raise _Fallback
            return [item(entry) for entry in value]

        return leaf_list
    return None


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    # field -> (field, its attribute name, serialiser), or _NOT_LEAF; for the process.
    _plain_leaves: dict[int, tuple[GraphQLField, str, _Serialize] | object] = {}

    def _plain_leaf(self, field_def: GraphQLField) -> tuple[str, _Serialize] | None:
        known = self._plain_leaves.get(id(field_def))
        if known is None:
            known = _NOT_LEAF
            definition = field_def.extensions.get("strawberry-definition")
            if getattr(field_def.resolve, "_is_default", False) and not field_def.args:
                serializer = _leaf(field_def.type)
                if serializer is not None and definition is not None:
                    # Kept with the field itself, so an id is never mistaken for another's.
                    known = (field_def, definition.python_name, serializer)
            self._plain_leaves[id(field_def)] = known
        if known is _NOT_LEAF or known[0] is not field_def:
            return None
        return known[1], known[2]

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        field_def = self.schema.get_field(parent_type, node.name.value)
        middleware = self.middleware_manager  # Strawberry's, empty unless an extension resolves
        if (
            field_def is not None
            and not node.arguments
            and (middleware is None or not middleware.middlewares)
        ):
            serialize = self._plain_leaf(field_def)
            if serialize is not None:
                try:
                    return serialize(field_def.resolve(source, None))
                except Exception:
                    pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
