"""Which database a command uses: DATABASE_URL when set, else the embedded PostgreSQL,
started for the command and stopped after it (unless it was already running)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from jobgraph.db.embedded import EmbeddedPostgres
from jobgraph.db.urls import DatabaseUrls
from jobgraph.settings import Settings


@contextlib.contextmanager
def provisioned_database(
    settings: Settings, progress: Callable[[str], None] = lambda _message: None
) -> Iterator[DatabaseUrls]:
    if settings.database_url:
        progress("using the PostgreSQL at DATABASE_URL")
        yield DatabaseUrls.from_admin(settings.database_url, settings)
        return
    embedded = EmbeddedPostgres(settings.data_dir)
    progress(f"embedded PostgreSQL in {embedded.pgdata}")
    embedded.start()
    try:
        yield DatabaseUrls.from_admin(embedded.url(), settings)
    finally:
        embedded.stop()
