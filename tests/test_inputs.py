"""Input objects (graphql/inputs.py): every input type of the schema builds from any value a
client may send exactly what Strawberry's own conversion builds, nested inputs, nulls,
omitted fields, enums, lists and defaults included. The values are generated from the
GraphQL types and coerced by graphql-core, as a request's arguments are."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
)
from graphql.utilities import coerce_input_value
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strawberry.types.arguments import convert_argument
from strawberry.types.base import StrawberryMaybe

from jobgraph.graphql.inputs import input_definitions
from jobgraph.graphql.schema import schema

SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "String": st.text(max_size=8),
    "ID": st.text(max_size=8),
    "Int": st.integers(-(2**31), 2**31 - 1),
    "Float": st.floats(allow_nan=False, allow_infinity=False),
    "Boolean": st.booleans(),
    "DateTime": st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
    "Date": st.dates().map(lambda day: day.isoformat()),
    "JSON": st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
}


def raw_values(type_: GraphQLInputType) -> st.SearchStrategy[Any]:
    """What a client may send for ``type_`` (before graphql-core coerces it)."""
    if isinstance(type_, GraphQLNonNull):
        return _present(type_.of_type)
    return st.none() | _present(type_)


def _present(type_: GraphQLInputType) -> st.SearchStrategy[Any]:
    if isinstance(type_, GraphQLList):
        return st.lists(raw_values(type_.of_type), max_size=3)
    if isinstance(type_, GraphQLEnumType):
        return st.sampled_from(sorted(type_.values))
    if isinstance(type_, GraphQLScalarType):
        return SCALARS[type_.name]
    assert isinstance(type_, GraphQLInputObjectType)
    fields = {name: raw_values(field.type) for name, field in type_.fields.items()}
    required = {
        name: fields[name]
        for name, field in type_.fields.items()
        if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
    }
    optional = {name: found for name, found in fields.items() if name not in required}
    return st.fixed_dictionaries(required, optional=optional)


@contextmanager
def strawberrys_own_conversion() -> Iterator[None]:
    definitions = input_definitions(schema)
    builders = [definition.from_input for definition in definitions]
    for definition in definitions:
        definition.from_input = None
    try:
        yield
    finally:
        for definition, builder in zip(definitions, builders, strict=True):
            definition.from_input = builder


def converted(value: Any, origin: type) -> Any:
    return convert_argument(
        value, origin, schema.schema_converter.scalar_registry, schema.config, None
    )


def test_every_input_type_without_a_maybe_has_a_builder_of_its_own() -> None:
    definitions = input_definitions(schema)
    assert {definition.name for definition in definitions} >= {"JobFilterInput", "ResumeInput"}
    for definition in definitions:
        maybe = any(
            isinstance(field.resolve_type(type_definition=definition), StrawberryMaybe)
            for field in definition.fields
        )
        assert (definition.from_input is None) == maybe, definition.name


@pytest.mark.parametrize("definition", input_definitions(schema), ids=lambda found: found.name)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_an_input_builds_what_strawberry_builds(definition: Any, data: st.DataObject) -> None:
    graphql_type = schema._schema.type_map[definition.name]
    assert isinstance(graphql_type, GraphQLInputObjectType)
    raw = data.draw(raw_values(GraphQLNonNull(graphql_type)))
    try:
        value = coerce_input_value(raw, graphql_type)
    except GraphQLError:
        assume(False)  # graphql-core refuses it before any conversion
    ours = converted(value, definition.origin)
    with strawberrys_own_conversion():
        theirs = converted(value, definition.origin)
    assert ours == theirs
    # A list is the input's own, never graphql-core's (a default shared by requests).
    for field in definition.fields:
        given_value = value.get(schema.config.name_converter.from_field(field))
        if isinstance(given_value, list):
            assert getattr(ours, field.python_name) is not given_value
