"""Reads on the driver: a SELECT built once and kept (a search's first page) is compiled once
into its SQL and run on asyncpg directly, in the session's transaction.

SQLAlchemy's execution of a statement costs more in Python than a search page's whole SQL
(the compiled cache's key, the result machinery, a greenlet switch). Here the statement is
compiled once; as it runs, its parameters are evaluated (the clock's among them) and
converted, and its values read back, by the very type processors SQLAlchemy applies. It
runs on the connection of the session's transaction, which set the request's pool first as
every transaction does (``engine.py``): the same transaction, the same pool, the same
replica or primary as the session's other statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler

from jobgraph.lru import LRU

Converter = Any  # a type processor: value -> value, or None


@dataclass(frozen=True)
class DriverSelect:
    """A SELECT compiled for the driver: its SQL, its parameters in order with their
    converters, and the converter of each column it returns."""

    statement: Select[Any]
    compiled: SQLCompiler
    parameters: tuple[tuple[str, Converter], ...]
    columns: tuple[Converter, ...]

    @classmethod
    def of(cls, statement: Select[Any], dialect: Dialect) -> DriverSelect:
        # An IN list's items rendered as parameters of their own, once: the statement is
        # kept as it is.
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        assert isinstance(compiled, SQLCompiler) and compiled.positiontup is not None
        binds = {name: bind for bind, name in compiled.bind_names.items()}

        def converter(name: str) -> Converter:
            # An IN list's item is named after its list: prefecture_1_2 of prefecture_1.
            bind = binds.get(name)
            if bind is None:
                bind = binds[name.rsplit("_", 1)[0]]
            return bind.type.dialect_impl(dialect).bind_processor(dialect)

        parameters = tuple((name, converter(name)) for name in compiled.positiontup)
        columns = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        )
        return cls(statement, compiled, parameters, columns)

    @property
    def sql(self) -> str:
        return self.compiled.string

    def arguments(self) -> list[Any]:
        """The parameters' values now (a bound callable, the clock, is called now)."""
        values = self.compiled.construct_params()
        return [
            values[name] if convert is None else convert(values[name])
            for name, convert in self.parameters
        ]

    def rows(self, records: list[Any]) -> list[Any]:
        """The records' values as SQLAlchemy would give them (only a few types convert)."""
        converting = [(index, convert) for index, convert in enumerate(self.columns) if convert]
        rows = []
        for record in records:
            row = list(record)
            for index, convert in converting:
                row[index] = convert(row[index])
            rows.append(row)
        return rows


# Kept statements compiled, by identity (kept alive with them).
_COMPILED: LRU[tuple[int, int], DriverSelect] = LRU(2_000)


def driver_select(statement: Select[Any], dialect: Dialect) -> DriverSelect:
    key = (id(statement), id(dialect))
    known = _COMPILED.get(key)
    if known is None or known.statement is not statement:
        known = DriverSelect.of(statement, dialect)
        _COMPILED.put(key, known)
    return known
