"""Read-only rows with a model's attribute names, for reads that only show what they read
(a search page's postings and companies, a page of resumes): built with a tuple's cost, not
an ORM entity's (identity map, instance state, attribute events: most of such a page's
time in Python)."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any


@dataclass(frozen=True)
class RowView:
    """What a read selects of a model (``columns``) and how a row of them becomes a
    read-only row with the model's attribute names (``row``): reading any other attribute
    is an error, never a statement per row."""

    columns: tuple[Any, ...]
    row: Callable[[Any], Any]

    @classmethod
    def of(cls, model: Any, reads: frozenset[str] | None = None) -> RowView:
        """The view of ``model``'s columns named in ``reads`` (None: every column but the
        deferred ones)."""
        columns = tuple(
            attribute.columns[0]
            for attribute in model.__mapper__.column_attrs
            if not attribute.deferred and (reads is None or attribute.key in reads)
        )
        view = namedtuple(f"{model.__name__}View", [column.key for column in columns])  # type: ignore[misc]
        # view._make without its Python frame: a slice of the row's own columns.
        return cls(columns, partial(tuple.__new__, view))
