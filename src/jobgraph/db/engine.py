"""Engines and sessions. Every transaction of a session bound to a pool first sets the pool
for PostgreSQL's row-level security, local to that transaction, so a pooled connection never
carries one request's pool into the next.

A session's transaction begins in the message that probes its connection as the pool hands
it out (``_probe_on_checkout``): BEGIN and the transaction's settings, one round trip where
the probe, BEGIN and the settings took three. Under `make load` a round trip cost a worker
more CPU than anything else of a resume page (the sending system call above all)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import json.scanner
import uuid
from collections import deque
from collections.abc import AsyncIterator
from contextvars import ContextVar, Token
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import CursorResult, Engine, Executable, Select, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.util.concurrency import await_

from jobgraph.db.driver import (
    POOL_SETTING,
    READS_ALONE,
    ReadsAlone,
    driver_select,
    in_transaction,
    read_alone,
    written_as_is,
)
from jobgraph.db.replicas import RoutingSession
from jobgraph.settings import Settings

_SET_POOL = text(f"SELECT set_config('{POOL_SETTING}', :pool, true)")


def create_engine(url: str, settings: Settings, **kwargs: Any) -> AsyncEngine:
    timeouts = {
        "statement_timeout": str(settings.statement_timeout_ms),
        "idle_in_transaction_session_timeout": str(settings.statement_timeout_ms * 2),
    }
    connect_args: dict[str, Any] = {"server_settings": {"application_name": "jobgraph"}}
    if settings.transaction_pooling:
        # Each transaction may run on another server connection: statements are prepared
        # under names of their own, used within their transaction and never cached, and
        # the timeouts (a pooler refuses them at start-up) are set by every transaction.
        connect_args |= {
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": _unique_statement_name,
        }
    else:
        connect_args["server_settings"] |= timeouts
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=False,  # _ping_on_checkout does it in one round trip, not three
        pool_recycle=1800,
        pool_timeout=5,  # a request waiting longer is better answered than kept
        # Statement parameters hold personal data: keep them out of errors and logs.
        hide_parameters=True,
        json_deserializer=_json_value,
        connect_args=connect_args,
        **kwargs,
    )
    # The dialect's documented place for its jsonb codec, set on this engine's instance.
    engine.sync_engine.dialect.setup_asyncpg_jsonb_codec = _jsonb_as_text  # type: ignore[attr-defined]
    if settings.transaction_pooling:
        _per_transaction[engine.sync_engine] = timeouts
    probe = functools.partial(
        _probe_on_checkout, engine.sync_engine, timeouts if settings.transaction_pooling else None
    )
    event.listen(engine.sync_engine, "checkout", probe)
    _reads_alone(engine, connect_args, settings.db_pool_size)
    StatementCounter.attach(engine)
    return engine


# json's own scanner (C), without json.loads's three layers of Python around it: a page of
# 20 resumes decodes some sixty values, and those layers cost it more than the scanning.
_scan_json = json.scanner.make_scanner(cast(Any, json.JSONDecoder()))  # typeshed: not so


def _json_value(text: str) -> Any:
    """A json or jsonb column's value, exactly as json.loads reads it (PostgreSQL writes a
    jsonb value as one JSON text; a json value as it was given, perhaps with spaces)."""
    try:
        value, end = _scan_json(text, 0)
    except StopIteration:
        return json.loads(text)  # json's own error, where it is no JSON
    return value if end == len(text) else json.loads(text)


async def _jsonb_as_text(connection: Any) -> None:
    """jsonb exchanged as text: read straight into ``_json_value``, written as the JSON
    text SQLAlchemy made of the value. (SQLAlchemy's own codec takes the binary form and,
    per value, slices off its version byte and decodes the rest in Python: a page of 20
    resumes reads some forty values.)"""
    await connection._connection.set_type_codec(
        "jsonb", encoder=str, decoder=_json_value, schema="pg_catalog", format="text"
    )


# What create_engine's connect_args say to SQLAlchemy's adapter, not to asyncpg.
_ADAPTER_ONLY = ("prepared_statement_cache_size", "prepared_statement_name_func")


def _reads_alone(engine: AsyncEngine, connect_args: dict[str, Any], most: int) -> None:
    """The engine's connections of reads alone (db/driver.py): asyncpg's, to the same
    database with the same settings, closed with the engine."""
    sync = engine.sync_engine
    _args, options = sync.dialect.create_connect_args(sync.url)
    connect = {**options, **connect_args}
    lane = ReadsAlone(
        {key: value for key, value in connect.items() if key not in _ADAPTER_ONLY}, most
    )
    READS_ALONE[sync] = lane
    event.listen(sync, "engine_disposed", lambda _engine: lane.close())


async def open_connections(engine: AsyncEngine, count: int) -> None:
    """``count`` connections of the engine's pool and of its reads alone opened now and
    left idle: each costs its server a process and an authentication (milliseconds of
    CPU on both sides), which a process's first requests would otherwise wait for."""
    held = await asyncio.gather(*(engine.connect() for _ in range(count)))
    for connection in held:
        await connection.close()
    await READS_ALONE[engine.sync_engine].open(count)


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


def pooled_by_transaction(engine: AsyncEngine) -> bool:
    """Whether the engine's connections lead through a pooler in transaction mode (then
    a statement outside a transaction may reach another server than the one before)."""
    return engine.sync_engine in _per_transaction


# The pool the transaction about to begin is for, while a RequestSession's operation that
# may begin one runs (``RequestSession._turn``): its checkout's probe begins it.
_BEGINS_FOR: ContextVar[str | None] = ContextVar("jobgraph_begins_for", default=None)


class _Begun:
    """A transaction the checkout's probe began, in the place of the one SQLAlchemy's
    asyncpg adapter would begin at the first statement (``_transaction``): the adapter
    commits or rolls it back as its own."""

    __slots__ = ("driver", "pool_id")

    def __init__(self, driver: Any, pool_id: str) -> None:
        self.driver = driver
        self.pool_id = pool_id

    async def commit(self) -> None:
        await self.driver.execute("COMMIT")

    async def rollback(self) -> None:
        if not self.driver.is_closed():
            await self.driver.execute("ROLLBACK")


def _probe_on_checkout(
    engine: Engine, timeouts: dict[str, str] | None, dbapi_connection: Any, *_args: Any
) -> None:
    """A connection the server dropped (restart, idle timeout, terminated) is replaced
    before a request uses it: the pool tries another on the DisconnectionError. The probe
    is one simple-protocol message (safe under PgBouncer's transaction mode: no prepared
    statement); SQLAlchemy's own pre-ping wraps its probe in BEGIN and ROLLBACK, three round
    trips. For a RequestSession about to begin a transaction (``_BEGINS_FOR``), the probe
    is that transaction's BEGIN and settings, and the adapter takes it as begun."""
    driver = dbapi_connection.driver_connection
    pool_id = _BEGINS_FOR.get()
    if pool_id is not None and not written_as_is(pool_id, timeouts):
        pool_id = None  # begun as usual: its settings sent as parameters (after_begin)
    probe = "SELECT 1" if pool_id is None else in_transaction(pool_id, timeouts or {})
    try:
        await_(driver.execute(probe))
    except Exception as error:  # any failure: the pool discards it and tries another
        raise DisconnectionError(f"dropped connection ({type(error).__name__})") from error
    if pool_id is not None:
        dbapi_connection._transaction = _Begun(driver, pool_id)
        # Counted as the statement it stands for (after_begin would have sent it).
        counter = _counters.get(engine)
        if counter is not None:
            counter.sent(_SET_POOL.text)


class _Turns:
    """A lock its holder's task may take again (an operation calling another)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._depth = 0

    async def take(self) -> None:
        task = asyncio.current_task()
        if self._owner is task:
            self._depth += 1
            return
        await self._lock.acquire()
        self._owner, self._depth = task, 1

    def give_back(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()


class _Turn:
    """A RequestSession's turn for one operation; an operation that may begin its
    transaction begins it in the probe of the connection it checks out
    (``_probe_on_checkout``). A class, not an async generator: every statement of a
    request takes one, and a generator cost it two more objects and the loop's
    bookkeeping of each."""

    __slots__ = ("_begins", "_session")

    def __init__(self, session: RequestSession) -> None:
        self._session = session
        self._begins: Token[str | None] | None = None

    async def __aenter__(self) -> None:
        session = self._session
        await session._turns.take()
        pool_id = session.sync_session.info.get("pool_id")
        if pool_id is not None:
            self._begins = _BEGINS_FOR.set(pool_id)

    async def __aexit__(self, *_exception: object) -> None:
        if self._begins is not None:
            _BEGINS_FOR.reset(self._begins)
        self._session._turns.give_back()


class RequestSession(AsyncSession):
    """GraphQL resolves sibling fields concurrently, but one session (one connection)
    serves one statement at a time: its operations take turns."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turns = _Turns()

    def _turn(self) -> _Turn:
        return _Turn(self)

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn():
            return await super().execute(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn():
            return await super().scalar(*args, **kwargs)

    async def scalars(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn():
            return await super().scalars(*args, **kwargs)

    async def rows(self, statement: Executable) -> list[Any]:
        async with self._turn():
            return await _core_rows(self, statement)

    async def kept_rows(self, statement: Select[Any], alone: bool = False) -> list[Any]:
        async with self._turn():
            if alone and not self.in_transaction():
                engine = self.sync_session.get_bind()
                assert isinstance(engine, Engine)  # sessions bind to engines
                pool_id = self.sync_session.info.get("pool_id") or ""
                timeouts = _per_transaction.get(engine)
                if written_as_is(pool_id, timeouts):
                    select = driver_select(statement, engine.dialect)
                    rows = await read_alone(engine, pool_id, select, timeouts)
                    _sent_on_driver(engine, select.sql)
                    return rows
            connection = await self.connection()  # the transaction begun: its pool set
            select = driver_select(statement, connection.dialect)
            rows = await select.fetch((await connection.get_raw_connection()).driver_connection)
            _sent_on_driver(connection.sync_engine, select.sql)
            return rows

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        async with self._turn():
            return await super().get(*args, **kwargs)

    async def flush(self, *args: Any, **kwargs: Any) -> None:
        async with self._turn():
            await super().flush(*args, **kwargs)

    async def refresh(self, *args: Any, **kwargs: Any) -> None:
        async with self._turn():
            await super().refresh(*args, **kwargs)

    async def rollback(self) -> None:
        async with self._turn():
            await super().rollback()

    async def commit(self) -> None:
        async with self._turn():
            await super().commit()


async def plain_rows(session: AsyncSession, statement: Executable) -> list[Any]:
    """The rows of a SELECT of columns, in the session's transaction, without the ORM's
    loading (a search page's plain rows: a third of its time went to it)."""
    if isinstance(session, RequestSession):
        return await session.rows(statement)
    return await _core_rows(session, statement)


async def kept_rows(
    session: AsyncSession, statement: Select[Any], alone: bool = False
) -> list[Any]:
    """The rows of a SELECT of columns built once and kept (a search's first page), run on
    the driver (``db/driver.py``): in the session's transaction, or, where it is all the
    request reads (``alone``) and the session has begun none, in a short one of its own."""
    if isinstance(session, RequestSession):
        return await session.kept_rows(statement, alone)
    return await _core_rows(session, statement)


def _sent_on_driver(engine: Engine, *statements: str) -> None:
    """Statements sent on the driver count as those SQLAlchemy sends (its events)."""
    counter = _counters.get(engine)
    if counter is not None:
        for statement in statements:
            counter.sent(statement)


async def _core_rows(session: AsyncSession, statement: Executable) -> list[Any]:
    connection = await session.connection()
    return list((await connection.execute(statement)).all())


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        engine,
        class_=RequestSession,
        sync_session_class=RoutingSession,
        expire_on_commit=False,
        autoflush=False,
    )


async def rows_changed(session: AsyncSession, statement: Executable) -> int:
    """Runs an INSERT, UPDATE or DELETE; how many rows it changed."""
    result = cast("CursorResult[Any]", await session.execute(statement))
    return result.rowcount


def bind_pool(session: AsyncSession, pool_id: str) -> AsyncSession:
    """Confine every transaction of this session to one tenant pool (see module doc)."""
    session.sync_session.info["pool_id"] = pool_id
    return session


@contextlib.asynccontextmanager
async def in_pool(session: AsyncSession, pool_id: str) -> AsyncIterator[AsyncSession]:
    """Within the session's open transaction, work in another pool for a while: an
    operator's change to another tenant applies to that tenant's data in the same unit of
    work. Back to the session's own pool afterwards, whatever happens."""
    await session.execute(_SET_POOL, {"pool": pool_id})
    try:
        yield session
    finally:
        await session.execute(_SET_POOL, {"pool": session.sync_session.info.get("pool_id", "")})


# Settings each transaction sets itself, by engine (behind a transaction pooler).
_per_transaction: WeakKeyDictionary[Engine, dict[str, str]] = WeakKeyDictionary()
_SET_POOL_AND_TIMEOUTS = text(
    f"SELECT set_config('{POOL_SETTING}', :pool, true), "
    "set_config('statement_timeout', :statement_timeout, true), "
    "set_config('idle_in_transaction_session_timeout', "
    ":idle_in_transaction_session_timeout, true)"
)


@event.listens_for(Session, "after_begin")
def _set_pool_for_transaction(session: Session, _transaction: Any, connection: Any) -> None:
    pool_id = session.info.get("pool_id")
    begun = getattr(connection.connection.dbapi_connection, "_transaction", None)
    if type(begun) is _Begun:
        if begun.pool_id != pool_id:  # begun for another session's pool: this one's own
            connection.execute(_SET_POOL, {"pool": pool_id or ""})
        return  # begun by the probe, its settings with it
    timeouts = _per_transaction.get(connection.engine)
    if timeouts is not None:  # one statement still, whatever it sets
        connection.execute(_SET_POOL_AND_TIMEOUTS, {"pool": pool_id or "", **timeouts})
    elif pool_id is not None:
        connection.execute(_SET_POOL, {"pool": pool_id})


_FLUSHED = "jobgraph.flushed"


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    session.info[_FLUSHED] = True


def flushed(session: AsyncSession) -> bool:
    """Whether the session has written changes since it was last asked (its writes are
    flushed to the database before they commit: ``new`` and ``dirty`` are empty then)."""
    return bool(session.sync_session.info.pop(_FLUSHED, False))


_counters: WeakKeyDictionary[Engine, StatementCounter] = WeakKeyDictionary()


class StatementCounter:
    """Counts the SQL statements an engine sends, so tests and logs can tell how many
    statements a request issued, and keeps the last few: through SQLAlchemy (its events)
    and on the driver (``db/driver.py``) alike. A connection's upkeep is not counted:
    the probe on checkout, and the pool a read alone sets as its connection's setting,
    are sent or not depending on which connection the pool hands out."""

    def __init__(self) -> None:
        self.count = 0
        self.recent: deque[str] = deque(maxlen=100)

    @classmethod
    def attach(cls, engine: AsyncEngine) -> StatementCounter:
        counter = cls()
        _counters[engine.sync_engine] = counter
        event.listen(engine.sync_engine, "before_cursor_execute", counter._on_execute)
        return counter

    @staticmethod
    def of(engine: AsyncEngine) -> StatementCounter:
        return _counters[engine.sync_engine]

    def sent(self, statement: str) -> None:
        self.count += 1
        self.recent.append(statement)

    def _on_execute(self, _connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.sent(statement)
