"""A leaner execution of the same GraphQL: graphql-core builds a resolve info, a path and a
resolver call for every field of every item, which on a page of 50 postings costs more than
the page's SQL. Here a *plain field* (without resolver, arguments, permissions or
extensions) is read straight from its object: a plain leaf (a scalar, an enum, or a list
of them: a posting's id, title, tags) is serialised by its GraphQL type exactly as
graphql-core would; a plain object or list of objects (a page's edges, an edge's node) is
completed by graphql-core itself, without the resolver call and its info; so is a resolver field's
value its object was loaded with (``PRELOADED``). Everything else,
and a plain leaf whose value would be an error (null where the schema says non-null, a
value its type refuses), goes through graphql-core's own ``execute_field``: errors, paths
and nulls come out as they always did.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    is_leaf_type,
)
from graphql.pyutils import Path, Undefined
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from jobgraph.fields import PRELOADED

_NOT_PLAIN = object()  # what a reader returns when the field must take the full path
_NONE = (None, None, None, None)
Reader = Callable[[Any], Any]


def _leaf(graphql_type: Any) -> Callable[[Any], Any] | None:
    """A completer of a leaf value of ``graphql_type`` (possibly non-null), or None."""
    non_null = isinstance(graphql_type, GraphQLNonNull)
    inner = graphql_type.of_type if non_null else graphql_type
    if not is_leaf_type(inner):
        return None
    coerce = inner.coerce_output_value

    def complete(value: Any) -> Any:
        if value is None:
            return _NOT_PLAIN if non_null else None
        coerced = coerce(value)
        return _NOT_PLAIN if coerced is None or coerced is Undefined else coerced

    return complete


def _unguarded(field: GraphQLField) -> Any:
    """The field's Strawberry definition where nothing stands between a caller and its
    value (no arguments, no permissions), or None."""
    definition = field.extensions.get("strawberry-definition")
    if definition is None or field.args or definition.permission_classes:
        return None
    return definition


def _preloaded_name(field: GraphQLField) -> str | None:
    definition = _unguarded(field)
    name = (definition.metadata or {}).get(PRELOADED) if definition is not None else None
    return str(name) if name is not None else None


def _plain_name(field: GraphQLField) -> str | None:
    """The attribute a plain field reads, or None where the field is not plain."""
    definition = _unguarded(field)
    if definition is None or not definition.is_basic_field:
        return None
    return str(definition.python_name)


def _reader(field: GraphQLField) -> Reader | None:
    name = _plain_name(field)
    if name is None:
        return None
    whole = _leaf(field.type)
    if whole is not None:
        return lambda source: whole(getattr(source, name))
    non_null = isinstance(field.type, GraphQLNonNull)
    listed = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if not isinstance(listed, GraphQLList):
        return None
    item = _leaf(listed.of_type)
    if item is None:
        return None

    def read_list(source: Any) -> Any:
        values = getattr(source, name)
        if values is None:
            return _NOT_PLAIN if non_null else None
        completed = [item(value) for value in values]
        return _NOT_PLAIN if _NOT_PLAIN in completed else completed

    return read_list


class _Where:
    """What graphql-core's completion reads of a resolve info (for its error messages)."""

    __slots__ = ("field_name", "parent_type")

    def __init__(self, parent_type: GraphQLObjectType, field_name: str) -> None:
        self.parent_type = parent_type
        self.field_name = field_name


# Per schema field: (the field, its leaf reader, the attribute of a plain non-leaf, the
# attribute of a preloaded value).
Plan = tuple[GraphQLField, Reader | None, str | None, str | None]
_PLANS: dict[int, Plan] = {}


def plan_of(field: GraphQLField) -> Plan:
    """How a field is executed, worked out once per schema field."""
    known = _PLANS.get(id(field))
    if known is None or known[0] is not field:
        read = _reader(field)
        plain = None if read is not None else _plain_name(field)
        known = (field, read, plain, _preloaded_name(field))
        _PLANS[id(field)] = known
    return known


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:  # every field passes through them
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        fields = parent_type.fields
        try:
            for response_name, field_details_list in grouped_field_set.items():
                field = fields.get(field_details_list[0].node.name.value)
                _field, read, attribute, preloaded = plan_of(field) if field else _NONE
                if read is not None:
                    try:
                        value = read(source_value)
                    except Exception:  # the full path reports it, located
                        value = _NOT_PLAIN
                    if value is not _NOT_PLAIN:
                        results[response_name] = value
                        continue
                field_path = Path(path, response_name, parent_type.name)
                if preloaded is not None and getattr(source_value, preloaded) is not None:
                    attribute = preloaded
                if attribute is not None:
                    result = self._complete_plain(
                        parent_type, field, attribute, source_value, field_details_list,
                        field_path, position_context,
                    )  # fmt: skip
                else:
                    result = self.execute_field(
                        parent_type, source_value, field_details_list, field_path,
                        position_context,
                    )  # fmt: skip
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                name = awaitable_fields[0]
                results[name] = await results[name]
            else:
                awaited = await gather_with_cancel(*(results[name] for name in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def _complete_plain(
        self,
        parent_type: GraphQLObjectType,
        field: GraphQLField,
        attribute: str,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        """``execute_field`` for a plain field: its value is the attribute, completed (and
        its errors handled) as graphql-core does, but without a resolver call or an info."""
        where = _Where(parent_type, field_details_list[0].node.name.value)
        try:
            completed = self.complete_value(
                # Completion reads only the parent type and the field name of its info.
                field.type, field_details_list, cast("GraphQLResolveInfo[Any]", where), path,
                getattr(source, attribute),
                position_context,
            )  # fmt: skip
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.type, field_details_list, path)
            return None
        if not self.is_awaitable(completed):
            return completed

        async def await_completed() -> Any:
            try:
                return await completed
            except Exception as raw_error:
                self.handle_field_error(raw_error, field.type, field_details_list, path)
                return None

        return await_completed()
