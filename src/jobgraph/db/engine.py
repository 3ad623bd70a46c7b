"""Engines and sessions. Every transaction of a session bound to a pool first sets the pool
for PostgreSQL's row-level security, local to that transaction, so a pooled connection never
carries one request's pool into the next."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from jobgraph.settings import Settings

POOL_SETTING = "jobgraph.pool"
_SET_POOL = text(f"SELECT set_config('{POOL_SETTING}', :pool, true)")


def create_engine(url: str, settings: Settings, **kwargs: Any) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            "server_settings": {
                "statement_timeout": str(settings.statement_timeout_ms),
                "idle_in_transaction_session_timeout": str(settings.statement_timeout_ms * 2),
                "application_name": "jobgraph",
            }
        },
        **kwargs,
    )
    StatementCounter.attach(engine)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def bind_pool(session: AsyncSession, pool_id: str) -> AsyncSession:
    """Confine every transaction of this session to one tenant pool (see module doc)."""
    session.sync_session.info["pool_id"] = pool_id
    return session


@event.listens_for(Session, "after_begin")
def _set_pool_for_transaction(session: Session, _transaction: Any, connection: Any) -> None:
    pool_id = session.info.get("pool_id")
    if pool_id is not None:
        connection.execute(_SET_POOL, {"pool": pool_id})


_counters: WeakKeyDictionary[Engine, StatementCounter] = WeakKeyDictionary()


class StatementCounter:
    """Counts the SQL statements an engine sends, so tests and logs can tell how many
    statements a request issued."""

    def __init__(self) -> None:
        self.count = 0

    @classmethod
    def attach(cls, engine: AsyncEngine) -> StatementCounter:
        counter = cls()
        _counters[engine.sync_engine] = counter
        event.listen(engine.sync_engine, "before_cursor_execute", counter._on_execute)
        return counter

    @staticmethod
    def of(engine: AsyncEngine) -> StatementCounter:
        return _counters[engine.sync_engine]

    def _on_execute(self, *_args: Any) -> None:
        self.count += 1
