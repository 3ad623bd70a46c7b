"""Applying and checking migrations (Alembic, in ``migrations/``).

Migrations connect with the admin URL, make sure the two roles exist, then ``SET ROLE`` to
the owner role, so every table is owned by ``jobgraph_owner`` while the service connects as
``jobgraph_app``, which owns nothing and cannot bypass row-level security.
"""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine

from jobgraph.db.urls import APP_ROLE, OWNER_ROLE, SEARCH_ROLE
from jobgraph.settings import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def alembic_config(admin_url: str | None = None, app_password: str = "") -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["admin_url"] = admin_url
    config.attributes["app_password"] = app_password
    return config


def bootstrap_statements(app_password: str) -> list[str]:
    password = app_password.replace("'", "''")
    return [
        f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
                CREATE ROLE {OWNER_ROLE} NOLOGIN;
            END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{SEARCH_ROLE}') THEN
                CREATE ROLE {SEARCH_ROLE} NOLOGIN;
            END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{password}';
            END IF;
        END $$""",
        f"GRANT {OWNER_ROLE} TO CURRENT_USER",
        f"GRANT {SEARCH_ROLE} TO {OWNER_ROLE}",
        # To be given its function (migration 0005); lockdown_statements takes it back.
        f"GRANT USAGE, CREATE ON SCHEMA public TO {SEARCH_ROLE}",
        f"GRANT USAGE, CREATE ON SCHEMA public TO {OWNER_ROLE}",
        f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}",
    ]


def lockdown_statements(database: str) -> list[str]:
    """Run as the admin after every migration (and on each copy of a migrated database,
    since a copy does not inherit the database's grants): nobody but the owner may create
    objects in the schema, and no role may make temporary tables, which could shadow a
    table for a function that trusts its search path."""
    return [
        f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {SEARCH_ROLE}, {APP_ROLE}",
        f'REVOKE TEMPORARY ON DATABASE "{database}" FROM PUBLIC',
        f'REVOKE TEMPORARY ON DATABASE "{database}" FROM {APP_ROLE}, {SEARCH_ROLE}',
    ]


def upgrade(admin_url: str, app_password: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(admin_url, app_password), revision)


async def upgrade_async(admin_url: str, app_password: str, revision: str = "head") -> None:
    # Alembic's async env runs its own event loop: keep it off ours.
    await asyncio.to_thread(upgrade, admin_url, app_password, revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None if it was never migrated."""
    async with engine.connect() as connection:
        try:
            result = await connection.execute(text("SELECT version_num FROM alembic_version"))
        except ProgrammingError:
            return None
        return result.scalar_one_or_none()


class NotMigratedError(RuntimeError):
    def __init__(self, current: str | None) -> None:
        at = f"is at revision {current}" if current else "has never been migrated"
        super().__init__(
            f"The database {at}, but this code needs revision {head_revision()}. "
            "Run `jobgraph migrate` (or `make run`, which migrates) and start again."
        )


async def ensure_migrated(engine: AsyncEngine) -> None:
    current = await current_revision(engine)
    if current != head_revision():
        raise NotMigratedError(current)
