"""What the domains' GraphQL fields share with the machinery that runs them (below both):
the type of ``info``, ids as the API shows them, and the field metadata the execution and
the limits read."""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import strawberry
from graphql import (
    FieldNode,
    GraphQLField,
    ListValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
)
from graphql.execution.values import get_argument_values

from jobgraph.errors import BadUserInput

if TYPE_CHECKING:
    # A type-only reference up to the GraphQL layer, erased at run time (the import
    # contract checks run-time imports): every resolver's context is the request's.
    from jobgraph.graphql.context import Context

    Info: TypeAlias = strawberry.Info[Context, None]
else:
    Info = strawberry.Info

# Where a site requires a key (`require_site_key`), a caller with neither a key nor a token
# may call only the root fields marked with this metadata: the ways to sign in.
KEYLESS = "jobgraph.keyless"
# A resolver field may name the attribute holding its value where its object was loaded
# with it (a search page's postings with their companies): ``metadata={PRELOADED: name}``;
# the execution then reads it as a plain field (``graphql/execution.py``).
PRELOADED = "jobgraph.preloaded"
# The same for a field with arguments: the attribute holds a dict of its values by
# ``arguments_key`` of the field's arguments (a search page's salary histograms, worked out
# with the page where its counts are in memory). Only a document that writes those
# arguments out (no variables) has them read so.
PRELOADED_BY_ARGUMENTS = "jobgraph.preloaded_by_arguments"
# A resolver that needs only its object (no info, no arguments, synchronous), marked with
# ``metadata=derived("column", ...)``, naming the columns of its object's row it reads: the
# execution calls it with the object and completes its value as a plain field's; a search
# page reads from the database only the columns its query's fields read (a Resume, read
# whole, names none). Its value is worked out only when a query asks for it.
DERIVED = "jobgraph.derived"


# A field that has the database count over a whole search (its total, its facets, a
# histogram) declares what it costs beyond its one point, in the cost walk's points
# (``graphql/limits.py``): a page of 50 postings is about 400, and the whole search page's
# counts took about nine times that page's time (``python -m bench``).
DATABASE_COST = "jobgraph.database_cost"


def database_cost(points: int) -> dict[str, int]:
    return {DATABASE_COST: points}


@dataclass
class Counting:
    """Where one request's counts over a whole search were worked out: from memory (a
    facet index, ``jobs/facet_index.py``) or by the database (SQL, or the statement that
    finds a search text's matches). A query whose every such count came from memory cost
    the database nothing for them: it is given their DATABASE_COST back once it ran
    (``graphql/admission.py``)."""

    in_memory: bool = False
    in_database: bool = False

    @property
    def spared_the_database(self) -> bool:
        return self.in_memory and not self.in_database


def derived(*reads: str) -> dict[str, frozenset[str]]:
    return {DERIVED: frozenset(reads)}


def literal_arguments(field: GraphQLField, node: FieldNode) -> dict[str, Any] | None:
    """A field node's argument values where the document writes them out, defaults
    included; None where any names a variable (they change by request)."""

    def uses_variables(value: ValueNode) -> bool:
        if isinstance(value, VariableNode):
            return True
        if isinstance(value, ListValueNode):
            return any(uses_variables(item) for item in value.values)
        if isinstance(value, ObjectValueNode):
            return any(uses_variables(item.value) for item in value.fields)
        return False

    if any(uses_variables(argument.value) for argument in node.arguments or ()):
        return None
    return get_argument_values(field, node)


def arguments_key(arguments: dict[str, Any]) -> tuple[object, ...]:
    """A field's argument values (as graphql-core coerces them) as a key: lists as tuples."""

    def frozen(value: object) -> object:
        if isinstance(value, list):
            return tuple(frozen(item) for item in value)
        if isinstance(value, dict):
            return tuple(sorted((name, frozen(item)) for name, item in value.items()))
        return value

    return tuple(sorted((name, frozen(value)) for name, value in arguments.items()))


class KeptList(list[Any]):
    """A list of a field's objects kept for many requests (a kept search page's edges):
    the execution keeps the response it shaped of them with it (``shaped``: the shaper's
    key and its response), so that the next request of the same document shapes nothing.
    One response is kept, the last document's; whoever keeps the list counts its bytes."""

    __slots__ = ("shaped",)

    def __init__(self, items: Any = ()) -> None:
        super().__init__(items)
        self.shaped: tuple[object, list[Any]] | None = None


@dataclass(frozen=True)
class Column:
    """Where a plain attribute of a list's objects lies in the record each object is made
    of (``RecordList``): the value at ``index`` converted by ``convert`` (None: as it is),
    or the ``spread`` values from ``index`` on written as text joined by ``joined`` (a
    cursor's sort keys); with ``same_record``, the
    attribute is another object made of the same record (a posting's company, read with
    it). ``gives``: the type every value it gives has, where known (never None): a shaper
    then takes a string as a String without looking; ``items``: of a list it gives, the
    type of every item but the null ones (a text array's: ``str``): a shaper then takes
    the list as a list of Strings once it has seen no null in it."""

    index: int = 0
    convert: Callable[..., Any] | None = None
    spread: int = 0
    joined: str | None = None
    same_record: bool = False
    gives: type | None = None
    items: type | None = None

    def __post_init__(self) -> None:
        if (self.spread > 0) != (self.joined is not None):
            raise ValueError("values spread over several columns are joined into one text")


class RecordColumns(dict[tuple[type, str], Column]):
    """The columns of one layout of records, by the class of the object and its attribute;
    and the shapers compiled for it (``shapers``: by the selection's own shaper, as long as
    that lives), which execution.py makes and keeps."""

    __slots__ = ("shapers",)

    def __init__(self, columns: dict[tuple[type, str], Column]) -> None:
        super().__init__(columns)
        self.shapers: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


class RecordList(KeptList):
    """A list of a field's objects and the records they are made of (a search page's
    edges, made of the rows its statement read): a shaper whose selection reads only
    attributes ``columns`` places shapes the records as they are, and no object is made;
    anything else that reads the list (another selection, graphql-core's own execution)
    has the objects made, once, by ``make``, at its first read."""

    __slots__ = ("_make", "columns", "records")

    def __init__(
        self, records: list[Any], columns: RecordColumns, make: Callable[[Any], Any]
    ) -> None:
        super().__init__()
        self.records = records
        self.columns = columns
        self._make: Callable[[Any], Any] | None = make

    def made(self) -> RecordList:
        """The list, its objects made (once)."""
        make = self._make
        if make is not None:
            self._make = None
            list.extend(self, [make(record) for record in self.records])
        return self

    def __iter__(self) -> Any:
        return list.__iter__(self.made())

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: Any) -> Any:
        return list.__getitem__(self.made(), index)

    def __reversed__(self) -> Any:
        return list.__reversed__(self.made())

    def __eq__(self, other: object) -> bool:
        return list.__eq__(self.made(), other)

    __hash__ = None  # type: ignore[assignment]  # as a list's


class KeptCounts(dict[str, Any]):
    """A search's counts by facet, kept for many requests (with its search results): the
    objects the API shows of them (``shown``) are made once, by the first request that
    shows them, not by every request. Whoever keeps the counts counts their bytes."""

    __slots__ = ("shown",)

    def __init__(self, counts: Any = ()) -> None:
        super().__init__(counts)
        self.shown: Any = None


def keyless() -> dict[str, bool]:
    return {KEYLESS: True}


# An id as the API shows it: its text. strawberry.ID is a NewType of str, and calling one
# costs a Python call where str's is C's (twice a posting on a search page).
show_id = cast("Callable[[object], strawberry.ID]", str)


def parse_id(value: str, field: str) -> uuid.UUID:
    """An id as the API shows it (a UUID string), read back."""
    try:
        return uuid.UUID(str(value))
    except ValueError as error:
        raise BadUserInput(f"'{value}' is not a valid id.", field=field) from error
