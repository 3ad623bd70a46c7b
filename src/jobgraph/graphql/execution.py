"""A leaner execution of the same GraphQL: graphql-core builds a resolve info, a path and a
resolver call for every field of every item, which on a page of 50 postings costs more than
the page's SQL. Here a *plain field* (without resolver, arguments, permissions or
extensions) is read straight from its object: a plain leaf (a scalar, an enum, or a list
of them: a posting's id, title, tags) is serialised by its GraphQL type exactly as
graphql-core would; a plain object or list of objects (a page's edges, an edge's node) is
completed by graphql-core itself, without the resolver call and its info; so is a resolver field's
value its object was loaded with (``PRELOADED``), and a resolver that needs only its
object (``DERIVED``), called with it. Everything else,
and a plain leaf whose value would be an error (null where the schema says non-null, a
value its type refuses), goes through graphql-core's own ``execute_field``: errors, paths
and nulls come out as they always did.

A list of objects made of the records a statement read (``fields.RecordList``: a search
page's edges) is shaped off the records themselves where its selection reads only what
the list's columns place in them (``_records_shaper``): no object is made for it.
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from keyword import iskeyword
from operator import attrgetter
from types import CodeType
from typing import Any, cast

from graphql import (
    FieldNode,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLString,
    is_leaf_type,
)
from graphql.pyutils import Path, Undefined
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from jobgraph.caches import CacheSpec, text_bytes
from jobgraph.fields import (
    DERIVED,
    PRELOADED,
    PRELOADED_BY_ARGUMENTS,
    KeptList,
    RecordColumns,
    RecordList,
    arguments_key,
    literal_arguments,
)

_NOT_PLAIN = object()  # what a reader returns when the field must take the full path
NOT_SHAPED = _NOT_PLAIN
_NONE = (None, None, None, None)
Reader = Callable[[Any], Any]


def _leaf(graphql_type: Any) -> Callable[[Any], Any] | None:
    """A completer of a leaf value of ``graphql_type`` (possibly non-null), or None."""
    non_null, inner = _unwrapped(graphql_type)
    if not is_leaf_type(inner):
        return None
    coerce = inner.coerce_output_value
    # A string is its own String or ID, a bool its own Boolean, an int in range its own Int
    # (what graphql-core's serialisers answer for them).
    as_is = _OWN_TYPES.get(inner)
    small_int = inner is GraphQLInt

    def complete(value: Any) -> Any:
        if value is None:
            return _NOT_PLAIN if non_null else None
        if type(value) is as_is:
            return value
        if small_int and type(value) is int and _MIN_INT <= value <= _MAX_INT:
            return value
        coerced = coerce(value)
        return _NOT_PLAIN if coerced is None or coerced is Undefined else coerced

    return complete


_OWN_TYPES: dict[Any, type] = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}
_MIN_INT, _MAX_INT = -(2**31), 2**31 - 1  # GraphQL's Int: 32 bits


def _own_value(graphql_type: Any) -> str | None:
    """The condition, on a value named ``{v}``, under which a leaf of ``graphql_type`` is
    its own response (as ``_leaf``'s completer decides), for the shaper's compiler; None
    where every value is completed."""
    _non_null, inner = _unwrapped(graphql_type)
    if inner is GraphQLInt:
        return f"type({{v}}) is int and {_MIN_INT} <= {{v}} <= {_MAX_INT}"
    own = _OWN_TYPES.get(inner)
    return None if own is None else _of_type(own)


def _of_type(kind: type) -> str:
    """The condition that a value named ``{v}`` is of exactly this type."""
    return f"type({{v}}) is {kind.__name__}"


def _of_strings(graphql_type: Any) -> bool:
    """Whether a leaf of ``graphql_type`` is a String or an ID: a str is its own value."""
    return _OWN_TYPES.get(_unwrapped(graphql_type)[1]) is str


# Where Strawberry keeps, in a GraphQL field's or type's extensions, its own definition.
_DEFINITION = "strawberry-definition"


def _unguarded(field: GraphQLField, with_arguments: bool = False) -> Any:
    """The field's Strawberry definition where nothing stands between a caller and its
    value (no arguments unless ``with_arguments``, no permissions, no field extension: an
    extension may check or change what the field gives, and only the full path runs it),
    or None."""
    definition = field.extensions.get(_DEFINITION)
    if (
        definition is None
        or (field.args and not with_arguments)
        or definition.permission_classes
        or definition.extensions
    ):
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


def _derived(field: GraphQLField) -> Callable[[Any], Any] | None:
    """The function a DERIVED field's value is worked out with from its object, or None."""
    definition = _unguarded(field)
    if definition is None or definition.base_resolver is None:
        return None
    if DERIVED not in (definition.metadata or {}):
        return None
    resolver = definition.base_resolver
    if resolver.is_async or resolver.arguments or resolver.info_parameter:
        return None
    function: Callable[[Any], Any] = resolver.wrapped_func
    return function


def preloaded_with_arguments(field: GraphQLField, node: FieldNode) -> Callable[[Any], Any] | None:
    """How a PRELOADED_BY_ARGUMENTS field's value is read off its object for this node's
    arguments (None on the object: not loaded), or None where the field is not one, is
    guarded, or the node's arguments name variables (the key would change by request)."""
    definition = _unguarded(field, with_arguments=True)
    if definition is None:
        return None
    name = (definition.metadata or {}).get(PRELOADED_BY_ARGUMENTS)
    arguments = literal_arguments(field, node) if name is not None else None
    if arguments is None:
        return None
    key = arguments_key(arguments)
    loaded_by_key = attrgetter(str(name))

    def value_of(source: Any) -> Any:
        loaded = loaded_by_key(source)
        return None if loaded is None else loaded.get(key)

    return value_of


def _loaded_leaf(value_of: Callable[[Any], Any], complete: Callable[[Any], Any]) -> Reader:
    """A preloaded leaf (a count): None on its object means not loaded, for the full path."""

    def step(source: Any) -> Any:
        value = value_of(source)
        return _NOT_PLAIN if value is None else complete(value)

    return step


def _value_of(field: GraphQLField) -> Callable[[Any], Any] | None:
    """How a plain or derived field's value is read off its object, or None."""
    name = _plain_name(field)
    if name is not None:
        return attrgetter(name)
    return _derived(field)


def _reader(field: GraphQLField) -> Reader | None:
    value_of = _value_of(field)
    if value_of is None:
        return None
    whole = _leaf(field.type)
    if whole is not None:
        return _LeafReader(_plain_name(field), value_of, whole, _own_value(field.type))
    non_null = isinstance(field.type, GraphQLNonNull)
    listed = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if not isinstance(listed, GraphQLList):
        return None
    item = _leaf(listed.of_type)
    if item is None:
        return None
    return _ListReader(_plain_name(field), value_of, item, _of_strings(listed.of_type), non_null)


class _ListReader:
    """A plain or derived list of leaves, completed: what the shaper's compiler writes
    inline where the field is a plain attribute of strings (a posting's tags)."""

    __slots__ = ("attribute", "item", "non_null", "strings", "value_of")

    def __init__(
        self,
        attribute: str | None,
        value_of: Callable[[Any], Any],
        item: Callable[[Any], Any],
        strings: bool,
        non_null: bool,
    ) -> None:
        self.attribute = attribute
        self.value_of = value_of
        self.item = item
        self.strings = strings  # of Strings or IDs: a list of str is its own value
        self.non_null = non_null

    def __call__(self, source: Any) -> Any:
        values = self.value_of(source)
        if values is None:
            return _NOT_PLAIN if self.non_null else None
        if self.strings and _STRINGS.issuperset(map(type, values)):  # tags: their own
            return list(values)
        return self.completed(values)

    def completed(self, values: Any) -> Any:
        """The items of a list read (not None), completed one by one."""
        completed = [self.item(value) for value in values]
        return _NOT_PLAIN if _NOT_PLAIN in completed else completed


_STRINGS = frozenset({str})


class _LeafReader:
    """A plain or derived leaf field's value, completed: what the shaper's compiler writes
    inline where the field is a plain attribute (``_shaper_of``)."""

    __slots__ = ("attribute", "complete", "own", "value_of")

    def __init__(
        self,
        attribute: str | None,
        value_of: Callable[[Any], Any],
        complete: Callable[[Any], Any],
        own: str | None,
    ) -> None:
        self.attribute = attribute
        self.value_of = value_of
        self.complete = complete
        self.own = own  # when a value is its own response (``_own_value``), or None

    def __call__(self, source: Any) -> Any:
        return self.complete(self.value_of(source))


class _Where:
    """What graphql-core's completion reads of a resolve info (for its error messages)."""

    __slots__ = ("field_name", "parent_type")

    def __init__(self, parent_type: GraphQLObjectType, field_name: str) -> None:
        self.parent_type = parent_type
        self.field_name = field_name


# Per schema field: (the field, its leaf reader, how a plain or derived non-leaf's value is
# read, the attribute of a preloaded value).
Plan = tuple[GraphQLField, Reader | None, Callable[[Any], Any] | None, str | None]
# Where a field keeps its plan: in its own extensions, as long as the schema lives.
_PLAN = "jobgraph-execution-plan"


def plan_of(field: GraphQLField) -> Plan:
    """How a field is executed, worked out once per schema field."""
    known: Plan | None = field.extensions.get(_PLAN)
    if known is None:
        read = _reader(field)
        value_of = None if read is not None else _value_of(field)
        known = (field, read, value_of, _preloaded_name(field))
        field.extensions[_PLAN] = known
    return known


def _itself(value: Any) -> Any:
    return value


def _constant(value: Any) -> Callable[[Any], Any]:
    def constant(_source: Any) -> Any:
        return value

    constant.value = value  # type: ignore[attr-defined]  # for the records' shaper
    return constant


Shaper = Callable[[Any], Any]  # an object to its response, or _NOT_PLAIN


@dataclass(frozen=True)
class _Nested:
    """What a step into a plain object or list of objects reads (``attribute``: the plain
    attribute it is, or None) and shapes it with: what a parent's shaper needs to shape it
    in its own body (``_shaper_of``)."""

    attribute: str | None
    shape: Shaper
    non_null: bool
    listed: bool
    items_non_null: bool = False


def _object_step(
    get: Callable[[Any], Any], shape: Shaper, non_null: bool, attribute: str | None = None
) -> Reader:
    def step(source: Any) -> Any:
        value = get(source)
        if value is None:
            return _NOT_PLAIN if non_null else None
        return shape(value)

    step.nested = _Nested(attribute, shape, non_null, listed=False)  # type: ignore[attr-defined]
    return step


def _list_step(
    get: Callable[[Any], Any],
    shape: Shaper,
    non_null: bool,
    items_non_null: bool,
    attribute: str | None = None,
) -> Reader:
    def step(source: Any) -> Any:
        values = get(source)
        if values is None:
            return _NOT_PLAIN if non_null else None
        return _shaped_list(values, shape, items_non_null)

    step.nested = _Nested(attribute, shape, non_null, True, items_non_null)  # type: ignore[attr-defined]
    return step


def _shaped_list(values: Any, shape: Shaper, items_non_null: bool) -> Any:
    shaped: list[Any] = []
    for value in values:
        if value is None:
            if items_non_null:
                return _NOT_PLAIN
            shaped.append(None)
            continue
        item = shape(value)
        if item is _NOT_PLAIN:
            return _NOT_PLAIN
        shaped.append(item)
    return shaped


# How deep a shaper writes its nested objects' shaping into its own body (a search page:
# the connection, its edges, their nodes, their companies); deeper ones are called. Each
# level nests a block or two (Python allows 20 loops and 100 indents).
_INLINE_DEPTH = 6


# A response name (a field's name or its alias) is a GraphQL name: safe to write as a
# string literal, so that each response is built with constant keys.
_RESPONSE_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")


def _identifier(name: str | None) -> bool:
    return name is not None and name.isidentifier() and not iskeyword(name)


# Shapers' compiled code by their source: documents that differ only in what their
# arguments write out (a search's words, a filter) select the same shape, and compiling it
# took a quarter of a new document's time; the code's names are bound anew for each.
SHAPER_CODE: CacheSpec[str, CodeType] = CacheSpec(
    "shaper_code",
    key="a shaper's generated source",
    max_bytes=16 * 2**20,
    # A code object, its bytecode, names and constants: about 2 KB and three times its
    # source (sys.getsizeof of each, measured on the bench's shapers).
    weigh=lambda source, _code: 2048 + 3 * text_bytes(source),
)


def _shaper_of(steps: list[tuple[str, Reader]], owner: type | None = None) -> Shaper:
    """The shaper of an object's selection, compiled into one function: each field read in
    turn (a plain attribute inline; a string, the common case, taken as it is), a plain
    object or list of objects shaped in the same body (``_INLINE_DEPTH``), the first value
    the shape cannot take ending it with _NOT_PLAIN (as it would end every shaper above
    it), each response built in one go. It does what a loop over ``steps`` and the nested
    shapers' would, without a call and a lookup per field and item. ``owner``: the class
    of the objects it shapes, where known (a list of them may be shaped off its records:
    ``_records_shaper``)."""
    namespace: dict[str, Any] = {
        "NOT": _NOT_PLAIN,
        "STRINGS": _STRINGS,
        "KEPT": _KEPT_LISTS,
        "RECORDS": RecordList,
        "RECORDS_SHAPED": _records_shaped,
    }
    lines = ["def shape(source):"]
    shaped = _shaping(steps, "source", "    ", lines, namespace, itertools.count(), 0)
    lines.append(f"    return {shaped}")
    shape: Shaper = _compiled(lines, namespace)["shape"]
    shape.steps = steps  # type: ignore[attr-defined]  # for the shapers that inline it
    shape.owner = owner  # type: ignore[attr-defined]
    return shape


_KEPT_LISTS = frozenset({KeptList, RecordList})


def _compiled(lines: list[str], namespace: dict[str, Any]) -> dict[str, Any]:
    """``lines`` run in ``namespace`` (their code kept by their source, SHAPER_CODE)."""
    # Only identifiers of this module and the schema's own attribute names are written
    # into the source; every value (names in the response, completers) is bound by name.
    source = "\n".join(lines)
    code = SHAPER_CODE.get(source)
    if code is None:
        code = compile(source, "<shaper>", "exec")
        SHAPER_CODE.put(source, code)
    exec(code, namespace)
    return namespace


class _Unreadable(Exception):
    """A selection the records' shaper cannot read off a record (``_records_shaper``)."""


class _ObjectRead:
    """How a shaper's code reads an attribute of an object: ``read`` (the object's class,
    if known, the expression of the object, the attribute) -> the expression of its
    value; ``gives``: the type every such value has, where known (None: not known)."""

    def read(self, _owner: Any, source: str, attribute: str | None) -> str:
        return f"{source}.{attribute}"

    def gives(self, _owner: Any, _attribute: str | None) -> type | None:
        return None

    def items(self, _owner: Any, _attribute: str | None) -> type | None:
        """Of a list read there, the type of every item but null ones, where known."""
        return None


class _RecordRead(_ObjectRead):
    """An attribute read off the record its object would be made of, where ``columns``
    places it (a posting's title: ``r[1]``; its id: ``convert(r[3])``); each converter in
    ``namespace``, under a name of its own."""

    def __init__(self, columns: RecordColumns, namespace: dict[str, Any]) -> None:
        self.columns = columns
        self.namespace = namespace

    def read(self, owner: Any, source: str, attribute: str | None) -> str:
        column = self.columns.get((owner, str(attribute)))
        if column is None:
            raise _Unreadable(attribute)
        if column.same_record:
            return source
        taken = f"{source}[{column.index}]"
        if column.joined is not None:  # one f-string, its separator bound by name
            separator = f"joined{column.index}"
            self.namespace[separator] = column.joined
            indexes = range(column.index, column.index + column.spread)
            return 'f"' + ("{" + separator + "}").join(f"{{{source}[{i}]}}" for i in indexes) + '"'
        if column.convert is None:
            return taken
        name = f"convert{column.index}"
        self.namespace[name] = column.convert
        return f"{name}({taken})"

    def gives(self, owner: Any, attribute: str | None) -> type | None:
        column = self.columns.get((owner, str(attribute)))
        return None if column is None else column.gives

    def items(self, owner: Any, attribute: str | None) -> type | None:
        column = self.columns.get((owner, str(attribute)))
        return None if column is None else column.items


_OF_OBJECTS = _ObjectRead()


def _shaping(
    steps: list[tuple[str, Reader]],
    source: str,
    indent: str,
    lines: list[str],
    namespace: dict[str, Any],
    numbers: Iterator[int],
    depth: int,
    owner: Any = None,
    reads: _ObjectRead = _OF_OBJECTS,
) -> str:
    """Appends to ``lines`` the shaping of the object named ``source`` (of class
    ``owner``) by ``steps``, at ``indent``, each attribute read as ``reads`` writes it;
    answers the expression of its response. A records' shaper (``reads`` a _RecordRead)
    reads no list of objects and calls no step with its object: it raises _Unreadable
    where the selection would."""
    on_records = reads is not _OF_OBJECTS
    read = reads.read
    fields = []
    for name, step in steps:
        index = next(numbers)
        value, check = f"v{index}", f"{indent}if v{index} is NOT: return NOT"
        if _RESPONSE_NAME.match(name):  # a GraphQL name: written as a constant
            fields.append(f"{name!r}: {value}")
        else:
            namespace[f"name{index}"] = name
            fields.append(f"name{index}: {value}")
        nested: _Nested | None = getattr(step, "nested", None)
        if isinstance(step, _ListReader) and step.strings and _identifier(step.attribute):
            namespace[f"step{index}"] = step
            # Items to complete one by one: off a record, its value read above.
            one_by_one = (
                f"{indent}    {value} = items{index}({value})"
                if on_records
                else f"{indent}    {value} = step{index}({source})"
            )
            if on_records:
                namespace[f"items{index}"] = step.completed
            lines.append(f"{indent}{value} = {read(owner, source, step.attribute)}")
            gives, items = reads.gives(owner, step.attribute), reads.items(owner, step.attribute)
            if gives is list and items is str:
                # A list (never None) of strings and nulls (a text array, as the driver
                # reads it, not shared): its own response unless it holds a null.
                lines += [f"{indent}if None in {value}:", one_by_one, f"    {check}"]
            else:
                lines += [
                    f"{indent}if {value} is None:",
                    f"{indent}    return NOT" if step.non_null else f"{indent}    pass",
                    f"{indent}elif STRINGS.issuperset(map(type, {value})):",
                    f"{indent}    {value} = list({value})",
                    f"{indent}else:",
                    one_by_one,
                    f"    {check}",
                ]
        elif isinstance(step, _LeafReader) and _identifier(step.attribute):
            namespace[f"complete{index}"] = step.complete
            lines.append(f"{indent}{value} = {read(owner, source, step.attribute)}")
            gives = reads.gives(owner, step.attribute)
            # Where every value read there is of the leaf's own type, it is its response.
            trusted = gives is not None and step.own == _of_type(gives)
            if step.own is None:
                lines += [f"{indent}{value} = complete{index}({value})", check]
            elif not trusted:
                lines += [
                    f"{indent}if not ({step.own.format(v=value)}):",
                    f"{indent}    {value} = complete{index}({value})",
                    f"    {check}",
                ]
        elif (
            nested is not None
            and depth < _INLINE_DEPTH
            and _identifier(nested.attribute)
            and hasattr(nested.shape, "steps")
        ):
            got, inner = f"g{index}", indent + "    "
            if on_records and nested.listed:
                raise _Unreadable(nested.attribute)
            taken = read(owner, source, nested.attribute)
            if on_records and taken == source:  # made of the same record: there it is
                got, inner = source, indent
            else:
                lines += [
                    f"{indent}{got} = {taken}",
                    f"{indent}if {got} is None:",
                    f"{inner}return NOT" if nested.non_null else f"{inner}{value} = None",
                    f"{indent}else:",
                ]
            if nested.listed:
                # A kept list's response, shaped by this shaper before, is taken as it is;
                # a list of records is shaped off them where they hold what it selects.
                memo, key, shaping = f"m{index}", f"key{index}", inner + "    "
                namespace[key] = object()  # this shaper's, for the lists it shapes
                namespace[f"shape{index}"] = nested.shape
                item, loop = f"i{index}", shaping + "    "
                body = loop + "    "
                missing = (
                    "return NOT" if nested.items_non_null else f"{value}.append(None); continue"
                )
                lines += [
                    f"{inner}{memo} = {got}.shaped if type({got}) in KEPT else None",
                    f"{inner}if {memo} is not None and {memo}[0] is {key}:",
                    f"{inner}    {value} = {memo}[1]",
                    f"{inner}else:",
                    f"{shaping}{value} = (RECORDS_SHAPED({got}, shape{index})"
                    f" if type({got}) is RECORDS else NOT)",
                    f"{shaping}if {value} is NOT:",
                    f"{loop}{value} = []",
                    f"{loop}for {item} in {got}:",
                    f"{body}if {item} is None: {missing}",
                ]
                shaped = _shaping(
                    nested.shape.steps,
                    item,
                    body,
                    lines,
                    namespace,
                    numbers,
                    depth + 1,
                    getattr(nested.shape, "owner", None),
                )
                lines += [
                    f"{body}{value}.append({shaped})",
                    f"{shaping}if type({got}) in KEPT: {got}.shaped = ({key}, {value})",
                ]
            else:
                shaped = _shaping(
                    nested.shape.steps,
                    got,
                    inner,
                    lines,
                    namespace,
                    numbers,
                    depth + 1,
                    getattr(nested.shape, "owner", None),
                    reads,
                )
                lines.append(f"{inner}{value} = {shaped}")
        elif on_records:  # a constant (__typename) is read off nothing; anything else is
            if not hasattr(step, "value"):
                raise _Unreadable(name)
            namespace[f"const{index}"] = step.value
            lines.append(f"{indent}{value} = const{index}")
        else:
            namespace[f"step{index}"] = step
            lines += [f"{indent}{value} = step{index}({source})", check]
    return "{" + ", ".join(fields) + "}"


def _records_shaped(items: RecordList, shape: Shaper) -> Any:
    """The response of a list of records whose items ``shape`` would shape, shaped off
    the records (``_records_shaper``, compiled once per layout and selection), or
    _NOT_PLAIN where the selection reads what a record does not hold or a value the shape
    cannot take: the objects are then made and shaped."""
    shapers = items.columns.shapers
    compiled = shapers.get(shape)
    if compiled is None:
        compiled = shapers[shape] = _records_shaper(shape, items.columns) or _unreadable
    return compiled(items.records)


def _unreadable(_records: list[Any]) -> Any:
    return _NOT_PLAIN


def _records_shaper(shape: Any, columns: RecordColumns) -> Callable[[list[Any]], Any] | None:
    """What ``shape`` does to each object of a RecordList, done to each record instead:
    every attribute its selection reads taken from where ``columns`` places it
    (``_RecordRead``), an object made of the same record read off it too; None where its
    selection reads an attribute the columns do not place, a list of objects, or calls a
    step with its object."""
    namespace: dict[str, Any] = {"NOT": _NOT_PLAIN, "STRINGS": _STRINGS}
    lines = ["def shape_records(records):", "    shaped = []", "    for r in records:"]
    numbers = itertools.count()
    try:
        item = _shaping(
            shape.steps,
            "r",
            "        ",
            lines,
            namespace,
            numbers,
            0,
            shape.owner,
            _RecordRead(columns, namespace),
        )
    except _Unreadable:
        return None
    lines += [f"        shaped.append({item})", "    return shaped"]
    function: Callable[[list[Any]], Any] = _compiled(lines, namespace)["shape_records"]
    return function


# What one kept shaper takes: its compiled function and namespace, its key (measured with
# tracemalloc on CPython 3.11: about 1.7 KB each for the whole search page's ten), and the
# records' shaper of a list of its objects, of about as much (``_records_shaped``: kept
# with its layout's columns as long as the shaper lives); a kept selection's work is
# counted alike.
SHAPER_BYTES = 4 * 1024


class KeptWork:
    """What one document's requests work out once and keep with the document
    (``admission.KnownDocument``): the shapers of its selections, keyed by an object type
    and the selection's field nodes, and what resolvers derive from their field's
    selection (``selections``: a search page's columns, keyed by the field's nodes), which
    live as long as the document that holds them. Only for a document without
    directives: without ``@skip``, ``@include`` or ``@defer`` a selection's subfields are
    the same whatever the request's variables. At most ``most`` of each are kept (what the
    document's weight allows for them); the rest are worked out per request."""

    __slots__ = ("most", "selections", "shapers")

    def __init__(self, most: int) -> None:
        self.most = most
        self.shapers: dict[tuple[GraphQLObjectType, tuple[int, ...]], Shaper | None] = {}
        self.selections: dict[tuple[int, ...], Any] = {}

    def __len__(self) -> int:
        return len(self.shapers) + len(self.selections)

    def selection(self, nodes: Any, work_out: Callable[[], Any]) -> Any:
        """What ``work_out`` derives from a field's selection (``nodes``: its field nodes
        in this document), worked out once."""
        key = tuple(map(id, nodes))
        found = self.selections.get(key)
        if found is None:
            found = work_out()
            if len(self.selections) < self.most:
                self.selections[key] = found
        return found


def _unwrapped(graphql_type: GraphQLOutputType) -> tuple[bool, GraphQLOutputType]:
    if isinstance(graphql_type, GraphQLNonNull):
        return True, graphql_type.of_type
    return False, graphql_type


def _alive(executor: weakref.ref[LeanExecutionContext]) -> LeanExecutionContext:
    found = executor()
    assert found is not None, "a resolver's helper called after its execution ended"
    return found


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core hands resolvers two of the executor's own bound methods as helpers
        # and keeps them on the executor: a cycle (it holds them, they hold it) that made
        # everything a request touched (its context, session, request, the executor's
        # field maps: 80-100 objects a request) garbage only the collector could free, in
        # pauses of 50-150 ms of the whole process under `make load`. Helpers that reach
        # the executor through a weak reference make no cycle; it lives as long as the
        # execution that calls them.
        executor = weakref.ref(self)

        def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
            return _alive(executor).gather_async_work(values)

        def track(values: Sequence[Any]) -> None:
            _alive(executor).track_async_work(values)

        self.async_helpers = GraphQLResolveInfoHelpers(gather=gather, track=track)

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
        # Root fields a plan resolved and could not shape (graphql/compiled.py): completed
        # from their values, not resolved again.
        resolved = getattr(self.context_value, "resolved_roots", None) if path is None else None
        try:
            for response_name, field_details_list in grouped_field_set.items():
                field = fields.get(field_details_list[0].node.name.value)
                _field, read, value_of, preloaded = plan_of(field) if field else _NONE
                if resolved and field is not None and response_name in resolved:
                    read, preloaded = None, None
                    value_of = _constant(resolved.pop(response_name))
                if read is not None:
                    try:
                        value = read(source_value)
                    except Exception:  # the full path reports it, located
                        value = _NOT_PLAIN
                    if value is not _NOT_PLAIN:
                        results[response_name] = value
                        continue
                field_path = Path(path, response_name, parent_type.name)
                if preloaded is not None:
                    loaded = getattr(source_value, preloaded)
                    if loaded is not None:
                        value_of = _constant(loaded)
                if value_of is not None:
                    result = self._complete_plain(
                        parent_type, field, value_of, source_value, field_details_list,
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

    # A selection whose every field is plain, derived or preloaded, down to its leaves (a
    # search page's edges, nodes and companies) is shaped straight into its response: no
    # completion, path or result bookkeeping per field and item. A value the shape cannot
    # take (a null where the schema says non-null, a value its type refuses, a preloaded
    # value not there) sends that object down the full path, which reports it as ever.

    def collect_and_execute_subfields(
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        shape = self._shaper(return_type, field_details_list)
        if shape is not None:
            shaped = _shaped_or_not(shape, result)
            if shaped is not _NOT_PLAIN:
                return shaped
        return super().collect_and_execute_subfields(
            return_type, field_details_list, path, result, position_context
        )

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        items_non_null, item_type = _unwrapped(return_type.of_type)
        if isinstance(item_type, GraphQLObjectType) and isinstance(result, list):
            shape = self._shaper(item_type, field_details_list)
            if shape is not None:
                shaped = _shaped_or_not(
                    lambda values: _shaped_list(values, shape, items_non_null), result
                )
                if shaped is not _NOT_PLAIN:
                    return shaped
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def value_shaper(self, field_type: GraphQLOutputType, field_details_list: Any) -> Reader | None:
        """How a resolved value of a field of ``field_type`` (selected by these details) is
        shaped into its response, for a compiled read (``graphql/compiled.py``); None where
        graphql-core must complete it. The shaper answers NOT_SHAPED for a value it cannot
        take."""
        leaf = _leaf(field_type)
        if leaf is not None:
            return leaf
        return self._nested_step(field_type, field_details_list, _itself)

    def _shaper(self, return_type: GraphQLObjectType, field_details_list: Any) -> Shaper | None:
        """The shaper of this selection of ``return_type``: the one kept with the request's
        document (``KeptWork``), or else worked out once per request (keyed as
        graphql-core keys its collected subfields: by the selection's identity, kept alive
        with it)."""
        kept: KeptWork | None = getattr(self.context_value, "kept_work", None)
        if kept is not None:
            key = (return_type, tuple(id(details.node) for details in field_details_list))
            if key in kept.shapers:
                return kept.shapers[key]
            shaper = self._compile_shaper(return_type, field_details_list)
            if len(kept.shapers) < kept.most:
                kept.shapers[key] = shaper
            return shaper
        shapers: dict[tuple[Any, int], tuple[Any, Shaper | None]] = self.__dict__.setdefault(
            "_jobgraph_shapers", {}
        )
        request_key = (return_type, id(field_details_list))
        known = shapers.get(request_key)
        if known is None:
            known = (field_details_list, self._compile_shaper(return_type, field_details_list))
            shapers[request_key] = known
        return known[1]

    def _compile_shaper(
        self, return_type: GraphQLObjectType, field_details_list: Any
    ) -> Shaper | None:
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:
            return None
        if return_type.is_type_of is not None:
            return None
        if any(details.node.directives for details in field_details_list):
            return None  # @stream and the like: graphql-core's own
        grouped_field_set, defers, _forbidden = self.collect_subfields(
            return_type, field_details_list
        )
        if defers:
            return None
        steps: list[tuple[str, Reader]] = []
        for response_name, details in grouped_field_set.items():
            name = details[0].node.name.value
            if name == "__typename":
                steps.append((response_name, _constant(return_type.name)))
                continue
            field = return_type.fields.get(name)
            if field is None or any(detail.node.directives for detail in details):
                return None
            _field, read, value_of, preloaded = plan_of(field)
            if read is not None:
                steps.append((response_name, read))
                continue
            if preloaded is not None:
                value_of = attrgetter(preloaded)
            elif value_of is None and len(details) == 1:
                value_of = preloaded_with_arguments(field, details[0].node)
            if value_of is None:
                return None
            # The attribute a plain or preloaded field reads (None on a preloaded one: not
            # loaded, for the full path; inlined only where the field is non-null, so that
            # None ends the shape).
            attribute = (
                _plain_name(field)
                if preloaded is None
                else preloaded
                if isinstance(field.type, GraphQLNonNull)
                else None
            )
            leaf = _leaf(field.type)
            step = (
                _loaded_leaf(value_of, leaf)
                if leaf is not None
                else self._nested_step(field.type, details, value_of, attribute)
            )
            if step is None:
                return None
            steps.append((response_name, step))
        definition = return_type.extensions.get(_DEFINITION)
        return _shaper_of(steps, getattr(definition, "origin", None))

    def _nested_step(
        self,
        field_type: GraphQLOutputType,
        details: Any,
        value_of: Callable[[Any], Any],
        attribute: str | None = None,
    ) -> Reader | None:
        """The step into an object or list of objects read by ``value_of`` (``attribute``:
        the plain attribute it reads, if it is one), or None where it cannot be shaped."""
        non_null, inner = _unwrapped(field_type)
        if isinstance(inner, GraphQLObjectType):
            shape = self._shaper(inner, details)
            return None if shape is None else _object_step(value_of, shape, non_null, attribute)
        if isinstance(inner, GraphQLList):
            items_non_null, item_type = _unwrapped(inner.of_type)
            if isinstance(item_type, GraphQLObjectType):
                shape = self._shaper(item_type, details)
                if shape is not None:
                    return _list_step(value_of, shape, non_null, items_non_null, attribute)
        return None

    def _complete_plain(
        self,
        parent_type: GraphQLObjectType,
        field: GraphQLField,
        value_of: Callable[[Any], Any],
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        """``execute_field`` for a plain or derived field: its value is read off its object,
        completed (and its errors handled) as graphql-core does, but without a resolver
        call or an info."""
        where = _Where(parent_type, field_details_list[0].node.name.value)
        try:
            completed = self.complete_value(
                # Completion reads only the parent type and the field name of its info.
                field.type, field_details_list, cast("GraphQLResolveInfo[Any]", where), path,
                value_of(source),
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


def _shaped_or_not(shape: Shaper, value: Any) -> Any:
    """The shaped response, or _NOT_PLAIN where the full path must report something."""
    try:
        return shape(value)
    except Exception:
        return _NOT_PLAIN
