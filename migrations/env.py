"""Alembic environment: async, run by `jobgraph migrate` (see jobgraph.db.migrate)."""

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from jobgraph.db.migrate import bootstrap_statements, lockdown_statements
from jobgraph.db.urls import OWNER_ROLE
from jobgraph.tables import metadata

config = context.config


def run_migrations(connection: Connection) -> None:
    for statement in bootstrap_statements(config.attributes["app_password"]):
        connection.exec_driver_sql(statement)
    connection.commit()
    connection.exec_driver_sql(f"SET ROLE {OWNER_ROLE}")
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
    connection.exec_driver_sql("RESET ROLE")
    for statement in lockdown_statements(connection.engine.url.database):
        connection.exec_driver_sql(statement)
    connection.commit()


async def run_async_migrations() -> None:
    engine = create_async_engine(config.attributes["admin_url"], poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported: run `jobgraph migrate`.")
asyncio.run(run_async_migrations())
