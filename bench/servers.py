"""The two servers the benchmark compares, each run by uvicorn in its own process:

- ``app``: jobgraph itself, the real ASGI app with its whole pipeline;
- ``baseline``: a bare ASGI function that runs the same SQL with asyncpg and writes the
  same JSON with orjson: the floor any GraphQL service over this database could reach.
"""

from __future__ import annotations

import sys
from typing import Any

import asyncpg
import orjson
import uvicorn
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from jobgraph.db.engine import create_engine, session_factory
from jobgraph.db.urls import DatabaseUrls
from jobgraph.jobs.enums import JobSort
from jobgraph.jobs.models import Company, JobPosting
from jobgraph.jobs.search import JobQuery, page_statement, shown_on
from jobgraph.settings import Settings
from jobgraph.tenancy.registry import TenantRegistry

TENANT = "kansai-jobs"
PAGE = 50
QUERY = (
    "{ jobs(first: 50, sort: NEWEST) { edges { cursor node { id title tags "
    "company { id name } } } pageInfo { hasNextPage endCursor } } }"
)
# The whole search page a partner draws: the same page with its total, its drill-down
# facets (one filter chosen, so they are disjunctive) and a salary histogram.
FACETS_QUERY = (
    '{ jobs(first: 50, sort: NEWEST, filter: {prefecture: "Osaka"}) { totalCount '
    "edges { cursor node { id title tags company { id name } } } "
    "pageInfo { hasNextPage endCursor } "
    "facets { category { value count } prefecture { value count } "
    "nearestStation { value count } line { value count } employmentType { value count } "
    "japaneseLevel { value count } } "
    "salaryHistogram(bounds: [0, 3000000, 4000000, 6000000, 8000000]) { min count } } }"
)


def _sql(statement: Any) -> str:
    return str(
        statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    )


async def _baseline_sql(app_url: str) -> tuple[str, str]:
    """The statement jobgraph runs for QUERY (the page, its companies joined), rendered
    once, reading only the columns the response shows."""
    engine = create_engine(app_url, Settings(db_pool_size=1))
    async with session_factory(engine)() as session:
        tenant = (await TenantRegistry.load(session)).get(TENANT)
    await engine.dispose()
    assert tenant is not None
    page = page_statement(shown_on(tenant), JobQuery(sort=JobSort.NEWEST), PAGE, None)
    shown = (JobPosting.id, JobPosting.title, JobPosting.tags, JobPosting.company_id)
    return tenant.pool_id, _sql(page.with_only_columns(*shown, Company.name))


def baseline_app(app_url: str) -> Any:
    state: dict[str, Any] = {}

    async def app(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    state["pool_id"], state["page"] = await _baseline_sql(app_url)
                    dsn = make_url(app_url).set(drivername="postgresql")
                    state["db"] = await asyncpg.create_pool(
                        dsn.render_as_string(hide_password=False), min_size=10, max_size=10
                    )
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await state["db"].close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        while (await receive()).get("more_body"):
            pass
        async with state["db"].acquire() as connection, connection.transaction():
            await connection.execute(
                "SELECT set_config('jobgraph.pool', $1, true)", state["pool_id"]
            )
            rows = await connection.fetch(state["page"])
        edges = [
            {
                "cursor": str(row["id"]),
                "node": {
                    "id": str(row["id"]),
                    "title": row["title"],
                    "tags": row["tags"],
                    "company": {"id": str(row["company_id"]), "name": row["name"]},
                },
            }
            for row in rows[:PAGE]
        ]
        body = orjson.dumps(
            {
                "data": {
                    "jobs": {
                        "edges": edges,
                        "pageInfo": {
                            "hasNextPage": len(rows) > PAGE,
                            "endCursor": edges[-1]["cursor"] if edges else None,
                        },
                    }
                }
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def main() -> None:
    kind, admin_url, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    settings = Settings(db_pool_size=10, log_level="warning")
    urls = DatabaseUrls.from_admin(admin_url, settings)
    if kind == "app":
        from jobgraph.app import create_app, tune_collector
        from jobgraph.cli.serve import server_options

        target = create_app(settings, urls, work=False, warm=True)  # measured: requests alone
        tune_collector()  # as `jobgraph serve` runs it, on its connections
        options = server_options(settings)
    else:
        target = baseline_app(urls.app)  # on uvicorn as it comes
        options = {"access_log": False, "lifespan": "on"}
    uvicorn.run(target, host="127.0.0.1", port=port, **options | {"log_level": "warning"})


if __name__ == "__main__":
    main()
