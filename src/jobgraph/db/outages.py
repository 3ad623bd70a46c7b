"""What a database that cannot serve now looks like, from any layer that meets it: the
GraphQL error shaper (a resolver's query) and the request's session (a query before GraphQL
runs: a token or site key proved in the database). Both answer SERVICE_UNAVAILABLE with the
same words instead of an internal error."""

from __future__ import annotations

import logging

import asyncpg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# SQLSTATE classes of a database that cannot serve now: connection exception, insufficient
# resources (too many connections), operator intervention (shutdown, cannot connect now).
_OUTAGE_CLASSES = ("08", "53", "57")

log = logging.getLogger("jobgraph.errors")


def is_database_outage(error: BaseException) -> bool:
    # PoolTimeout: every connection of the pool is busy for longer than its timeout.
    if isinstance(
        error, (OperationalError, InterfaceError, ConnectionError, TimeoutError, PoolTimeout)
    ):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        cause = error.orig
        code = getattr(cause, "sqlstate", None) or getattr(
            getattr(cause, "__cause__", None), "sqlstate", None
        )
        return isinstance(code, str) and code[:2] in _OUTAGE_CLASSES
    if isinstance(error, asyncpg.PostgresError):  # a read on the driver (db/driver.py)
        return str(error.sqlstate)[:2] in _OUTAGE_CLASSES
    # A socket that is not there (a server stopped), refused, or reset.
    return isinstance(error, OSError | asyncpg.InterfaceError)


def outage_message(reference: str) -> str:
    return (
        "The service cannot reach its database right now; try again shortly "
        f"(reference {reference})."
    )


def log_outage(reference: str, error: BaseException) -> None:
    """One line per request refused (an outage refuses hundreds; a traceback each would
    bury the log): the reference the caller was given, and the cause in the driver's
    words ("the database system is shutting down", "connection refused")."""
    cause: BaseException = error
    while cause.__cause__ is not None:
        cause = cause.__cause__
    log.error("database unavailable (reference %s): %s: %s", reference, type(cause).__name__, cause)
