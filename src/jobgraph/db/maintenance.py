"""What only the tables' owner may do for the service: VACUUM. A deleted row stays in its
table's file (and its indexes) until VACUUM reclaims its space; until then someone who can
read the files (a backup, the disk) could still read it. Where the operator enables it
(JOBGRAPH_VACUUM_AFTER_DELETION), the tables that held a deleted account's data are
vacuumed right after the deletion commits."""

from __future__ import annotations

from collections.abc import Iterable

from jobgraph.db.engine import create_engine
from jobgraph.settings import Settings


async def vacuum(admin_url: str, settings: Settings, tables: Iterable[str]) -> None:
    """VACUUM these tables, as the migrations' role (a member of their owner)."""
    engine = create_engine(admin_url, settings, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql("SET statement_timeout = 0")
            names = ", ".join(f'"{table}"' for table in sorted(tables))
            await connection.exec_driver_sql(f"VACUUM {names}")
    finally:
        await engine.dispose()
