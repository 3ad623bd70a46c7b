"""Reads on the driver: a SELECT built once and kept (a search's first page) is compiled once
into its SQL and run on asyncpg directly, in the session's transaction.

SQLAlchemy's execution of a statement costs more in Python than a search page's whole SQL
(the compiled cache's key, the result machinery, a greenlet switch). Here the statement is
compiled once; as it runs, its parameters are evaluated (the clock's among them) and
converted, and its values read back, by the very type processors SQLAlchemy applies. It
runs on the connection of the session's transaction, which set the request's pool first as
every transaction does (``engine.py``): the same transaction, the same pool, the same
replica or primary as the session's other statements.

A read that is all its request asks of the database (a search page without counts) runs
instead alone, in the implicit transaction of its one statement, on a connection of reads
alone (``ReadsAlone``: asyncpg connections beside the engine's pool, as many, that
nothing else uses) that carries the request's pool as its session's setting: one round
trip where a transaction of its own took three (BEGIN with the setting, the page,
ROLLBACK). The connection keeps that setting for the next read alone of the same pool; no
transaction ever runs on it, so none sees a pool it did not set. Taking one costs a list's
pop: a checkout from SQLAlchemy's pool cost two greenlets and its bookkeeping, asyncpg's
pool a task at each release. Behind a transaction pooler, where a session's setting may
stay on a server another client gets next, the read keeps its transaction of its own. Its
rows are what the session would have read at READ COMMITTED: what was committed when the
statement started.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import asyncpg
from sqlalchemy import ARRAY, Engine, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler

from jobgraph.caches import CacheSpec, each

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
        columns = tuple(_reader(column.type, dialect) for column in statement.selected_columns)
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

    async def fetch(self, driver: Any) -> list[Any]:
        """Its rows, run now on ``driver`` (an asyncpg connection)."""
        return self.rows(await driver.fetch(self.sql, *self.arguments()))

    def rows(self, records: list[Any]) -> list[Any]:
        """The records' values as SQLAlchemy would give them (only a few types convert):
        where none does, the records themselves (read-only sequences, sliced as tuples)."""
        converting = [(index, convert) for index, convert in enumerate(self.columns) if convert]
        if not converting:
            return records
        rows = []
        for record in records:
            row = list(record)
            for index, convert in converting:
                row[index] = convert(row[index])
            rows.append(row)
        return rows


def _reader(column_type: Any, dialect: Dialect) -> Converter:
    """How a value the driver returns becomes what SQLAlchemy returns for this type; None
    where it is the same (an array of plain items: asyncpg returns the list SQLAlchemy's
    converter would copy item by item)."""
    if (
        isinstance(column_type, ARRAY)
        and not column_type.as_tuple
        and _reader(column_type.item_type, dialect) is None
    ):
        return None
    return column_type.dialect_impl(dialect).result_processor(dialect, None)


# Kept statements compiled, by identity (kept alive with them).
COMPILED: CacheSpec[tuple[int, int], DriverSelect] = CacheSpec(
    "driver_statements",
    key="a kept SQLAlchemy statement and dialect, by identity",
    max_bytes=32 * 2**20,
    weigh=each(16 * 1024),
)


def driver_select(statement: Select[Any], dialect: Dialect) -> DriverSelect:
    key = (id(statement), id(dialect))
    known = COMPILED.get(key)
    if known is None or known.statement is not statement:
        known = DriverSelect.of(statement, dialect)
        COMPILED.put(key, known)
    return known


# A pool's id is a site's slug (tenancy/config.py): safe to write into the SQL as it is.
POOL_SETTING = "jobgraph.pool"
_POOL_ID = re.compile(r"^[a-z][a-z0-9-]{0,62}$")


def written_as_is(pool_id: str, timeouts: dict[str, str] | None) -> bool:
    """Whether a transaction's settings (its pool, the timeouts a transaction pooler makes
    it set) are plain slugs and numbers, written into the SQL as they are: what a read
    alone and a transaction begun by its connection's probe (``engine.py``) need."""
    return bool(_POOL_ID.match(pool_id)) and all(
        _POOL_ID.match(value) or value.isdigit() for value in (timeouts or {}).values()
    )


def _carried(pool_id: str) -> str:
    return f"SELECT set_config('{POOL_SETTING}', '{pool_id}', false)"


def in_transaction(pool_id: str, timeouts: dict[str, str]) -> str:
    """BEGIN and the transaction's settings as one simple-protocol message."""
    settings = {POOL_SETTING: pool_id, **timeouts}
    calls = ", ".join(f"set_config('{name}', '{value}', true)" for name, value in settings.items())
    return f"BEGIN; SELECT {calls}"


class AloneConnection(asyncpg.Connection):  # type: ignore[misc]  # asyncpg is untyped
    """A connection of reads alone: it knows the pool its session carries (None: none)."""

    __slots__ = ("_carried",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._carried: str | None = None

    def carried(self) -> str | None:
        return self._carried

    def carries(self, pool_id: str) -> None:
        self._carried = pool_id


class ReadsAlone:
    """The connections reads alone run on, of one engine's database: at most ``most`` (the
    engine's pool size), opened as a read first needs one, each carrying the pool of its
    last read, closed with the engine (``close``). Its own few lines, not asyncpg's pool:
    that one's acquire and release cost a read 19 µs (its release starts a task, and it
    resets a connection, which would clear the pool the connection carries). A read takes
    an idle connection, or opens one while fewer than ``most`` are open, or waits for one
    in turn; a connection given back closed (its read failed or was stopped) frees its
    place for a new one."""

    def __init__(self, connect: dict[str, Any], most: int) -> None:
        self.most = most
        self._connect = connect  # asyncpg.connect's arguments
        self._idle: list[AloneConnection] = []
        self._open: set[AloneConnection] = set()
        self._opening = 0
        # Reads waiting for a connection, first come first served; each is handed one, or
        # None: a place freed, to open a connection in.
        self._waiting: deque[asyncio.Future[AloneConnection | None]] = deque()
        self._closed = False

    async def acquire(self) -> AloneConnection:
        """A connection for one read; give it back with ``release``, whatever happens."""
        while True:
            if self._closed:
                raise asyncpg.InterfaceError("the engine's connections of reads alone are closed")
            if self._idle:
                return self._idle.pop()
            if len(self._open) + self._opening < self.most:
                return await self._opened()
            waiter: asyncio.Future[AloneConnection | None] = (
                asyncio.get_running_loop().create_future()
            )
            self._waiting.append(waiter)
            try:
                handed = await waiter
            except BaseException:  # stopped while waiting: what it was handed goes on
                if waiter.done() and not waiter.cancelled():
                    self._hand_on(waiter.result())
                elif waiter in self._waiting:  # (a release may have passed it over already)
                    self._waiting.remove(waiter)
                raise
            if handed is not None:
                return handed

    async def _opened(self) -> AloneConnection:
        self._opening += 1
        try:
            connection: AloneConnection = await asyncpg.connect(
                connection_class=AloneConnection, **self._connect
            )
        except BaseException:
            self._opening -= 1
            self._hand_on(None)  # the place it would have taken is free again
            raise
        self._opening -= 1
        self._open.add(connection)
        return connection

    def release(self, connection: AloneConnection) -> None:
        """A connection back from its read: to the first read waiting, or idle; one closed
        gives its place up."""
        if connection.is_closed():
            self._open.discard(connection)
            self._hand_on(None)
        else:
            self._hand_on(connection)

    def _hand_on(self, handed: AloneConnection | None) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(handed)
                return
        if handed is not None:
            self._idle.append(handed)

    async def open(self, count: int) -> None:
        """``count`` connections opened now (at most ``most``), left idle for reads."""
        held = await asyncio.gather(*(self.acquire() for _ in range(min(count, self.most))))
        for connection in held:
            self.release(connection)

    def in_use(self) -> int:
        """How many of its connections a read holds now (or is opening)."""
        return len(self._open) + self._opening - len(self._idle)

    def waiting(self) -> int:
        """How many reads wait for a connection now."""
        return sum(not waiter.done() for waiter in self._waiting)

    def close(self) -> None:
        self._closed = True
        for connection in self._open:
            connection.terminate()  # nothing runs on them once their engine is disposed
        self._open.clear()
        self._idle.clear()
        while self._waiting:  # each finds the lane closed
            self._hand_on(None)


# Each engine's connections of reads alone (db/engine.py's create_engine registers them).
READS_ALONE: WeakKeyDictionary[Engine, ReadsAlone] = WeakKeyDictionary()


# What the driver says of a connection the server closed, depending on how far it got
# with the news: its socket gone, closed, or its protocol left mid-way by the server's
# last message.
_DROPPED = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.InternalClientError,
)


def _dropped(error: BaseException) -> bool:
    """Whether an error says the connection was dead before the statement: the server
    closed it (restarted, terminated it) or the network dropped it."""
    if isinstance(error, _DROPPED):
        return True
    return isinstance(error, asyncpg.PostgresError) and str(error.sqlstate).startswith("57P")


async def read_alone(
    engine: Engine, pool_id: str, select: DriverSelect, timeouts: dict[str, str] | None
) -> list[Any]:
    """The rows of ``select`` read alone for ``pool_id`` on a connection of reads alone of
    ``engine``'s database (see the module's doc; ``timeouts``: those a transaction pooler
    makes each transaction set). Its first message probes the connection: one found dead
    is dropped and the next one tried (after a restart, every open one may be); a read is
    safe to send again."""
    lane = READS_ALONE[engine]
    for attempt in range(1, lane.most + 2):
        # With every connection busy, it waits as long as its request may
        # (JOBGRAPH_REQUEST_TIMEOUT_S).
        connection = await lane.acquire()
        try:
            if timeouts is not None:
                await connection.execute(in_transaction(pool_id, timeouts))
                rows = await select.fetch(connection)
                await connection.execute("ROLLBACK")  # it only read
            else:
                if connection.carried() != pool_id:
                    await connection.execute(_carried(pool_id))
                    connection.carries(pool_id)
                rows = await select.fetch(connection)
        except BaseException as error:
            # Whatever state a failure or a cancellation left it in, it is closed.
            connection.terminate()
            if isinstance(error, Exception) and _dropped(error) and attempt <= lane.most:
                continue
            raise
        finally:
            lane.release(connection)
        return rows
    raise AssertionError("unreachable: the last attempt returns or raises")
