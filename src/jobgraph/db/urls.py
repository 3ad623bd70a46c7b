"""Which PostgreSQL the service talks to, and as whom."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import make_url

from jobgraph.settings import Settings

APP_ROLE = "jobgraph_app"
OWNER_ROLE = "jobgraph_owner"
# Owns the one function that reads the search index across row-level security (see
# migration 0005); may read only the index columns of job_postings, and cannot log in.
SEARCH_ROLE = "jobgraph_search"


@dataclass(frozen=True)
class DatabaseUrls:
    admin: str  # creates roles, runs migrations (as OWNER_ROLE)
    app: str  # the service: APP_ROLE, no ownership, no BYPASSRLS
    read: str | None = None  # a streaming replica, as APP_ROLE (queries only)

    @classmethod
    def from_admin(cls, admin: str, settings: Settings) -> DatabaseUrls:
        admin = _async_driver(admin)
        if settings.app_database_url:
            app = _async_driver(settings.app_database_url)
        else:
            url = make_url(admin).set(username=APP_ROLE, password=settings.app_db_password)
            app = url.render_as_string(hide_password=False)
        read = _async_driver(settings.read_database_url) if settings.read_database_url else None
        return cls(admin=admin, app=app, read=read)


def _async_driver(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)
