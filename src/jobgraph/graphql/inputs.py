"""Input objects built from their GraphQL values by a conversion worked out once per type.

Strawberry converts an input object field by field on every request, working out each
field's GraphQL name and resolved type each time (and graphql-core hands it every field
with a published default, a search filter's thirteen nulls among them): about 0.12 ms for
one search filter, a tenth of a whole search page's time in Python. Strawberry lets a type
build its own value (``StrawberryObjectDefinition.from_input``); ``convert_inputs`` gives
each of the schema's input types a builder that does what Strawberry's conversion does
(``strawberry/types/arguments.py``, ``convert_argument``) with the names and types found
once: a null stays null, a scalar or an enum is taken as graphql-core parsed it, a list of
them is copied (graphql-core shares a default between requests), and anything else (a
nested input) goes through Strawberry's own conversion. A type with a ``Maybe`` field keeps
Strawberry's (which checks a Maybe's null in the document only for types without a builder
of their own). ``tests/test_inputs.py`` compares both on every input type of the schema."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

from strawberry.scalars import is_scalar
from strawberry.schema.schema import Schema
from strawberry.types.arguments import InputContext
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition

# How a field's given value becomes its Python value: taken as it is, copied (a list), or
# converted by Strawberry unless null.
AS_IS, COPIED, CONVERTED = "as is", "copied", "converted"


def _leaf(type_: Any, scalars: Mapping[object, Any]) -> bool:
    if isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    return (
        isinstance(type_, StrawberryEnumDefinition)
        or has_enum_definition(type_)
        or (isinstance(type_, type) and is_scalar(type_, scalars))
    )


def _how(type_: Any, scalars: Mapping[object, Any]) -> str:
    if _leaf(type_, scalars):
        return AS_IS
    listed = type_.of_type if isinstance(type_, StrawberryOptional) else type_
    if isinstance(listed, StrawberryList) and _leaf(listed.of_type, scalars):
        return COPIED
    return CONVERTED


Builder = Callable[[type, Mapping[str, Any], InputContext], Any]


def _builder(definition: StrawberryObjectDefinition, schema: Schema) -> Builder:
    scalars = schema.schema_converter.scalar_registry
    names = schema.config.name_converter
    # Fields without a default are null unless given (Strawberry's implicit default).
    nulls: dict[str, Any] = {
        field.python_name: None
        for field in definition.fields
        if field.default_value is MISSING and field.default_factory is MISSING
    }
    plan = []
    for field in definition.fields:
        type_ = field.resolve_type(type_definition=definition)
        plan.append((names.from_field(field), field.python_name, type_, _how(type_, scalars)))

    def from_input(cls: type, value: Mapping[str, Any], context: InputContext) -> Any:
        kwargs = dict(nulls)
        for name, python_name, type_, how in plan:
            if name not in value:
                continue
            given = value[name]
            if how is AS_IS or given is None:
                kwargs[python_name] = given
            elif how is COPIED:
                kwargs[python_name] = list(given)
            else:
                kwargs[python_name] = context.convert(given, type_, name)
        return cls(**kwargs)

    return from_input


def convert_inputs(schema: Schema) -> None:
    """Give every input type of ``schema`` that builds with Strawberry's conversion a
    builder of its own (this module's doc)."""
    for definition in input_definitions(schema):
        # A type with a Maybe field keeps Strawberry's conversion: one that builds its own
        # value opts out of Strawberry's check of a Maybe's null in the document.
        maybe = any(
            isinstance(field.resolve_type(type_definition=definition), StrawberryMaybe)
            for field in definition.fields
        )
        if definition.from_input is None and not maybe:
            definition.from_input = _builder(definition, schema)


def pin_argument_names(schema: Schema) -> None:
    """Give every field argument of ``schema`` its GraphQL name, the one Strawberry gives it:
    Strawberry converts an argument's Python name to camelCase on every call of its field
    (``convert_arguments``), a root field's half a dozen on every request."""
    names = schema.config.name_converter
    for known in schema.schema_converter.type_map.values():
        definition = known.definition
        if not isinstance(definition, StrawberryObjectDefinition) or definition.is_input:
            continue
        for field in definition.fields:
            for argument in field.arguments:
                if argument.graphql_name is None:
                    argument.graphql_name = names.from_argument(argument)


def input_definitions(schema: Schema) -> list[StrawberryObjectDefinition]:
    """The schema's input types."""
    return [
        known.definition
        for known in schema.schema_converter.type_map.values()
        if isinstance(known.definition, StrawberryObjectDefinition) and known.definition.is_input
    ]
