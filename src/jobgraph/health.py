"""Liveness (the process answers) and readiness (its database is reachable and migrated,
and its read replica, if any, reachable)."""

from __future__ import annotations

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from jobgraph.db.migrate import current_revision, head_revision
from jobgraph.graphql.services import Services
from jobgraph.work.periodic import WorkContext, backlog
from jobgraph.work.schedule import schedule


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    engine = request.app.state.services.engine
    try:
        current = await current_revision(engine)
    except Exception as error:  # any failure to reach the database means "not ready"
        return JSONResponse(
            {
                "status": "unavailable",
                "reason": "database unreachable",
                "detail": type(error).__name__,
            },
            status_code=503,
        )
    head = head_revision()
    if current != head:
        return JSONResponse(
            {
                "status": "unavailable",
                "reason": "database not migrated",
                "current": current,
                "required": head,
                "fix": "run `jobgraph migrate`",
            },
            status_code=503,
        )
    ready: dict[str, object] = {"status": "ready", "revision": current}
    services = request.app.state.services
    replica, health = services.read_engine, services.replica_health
    if replica is not None and health is not None:
        if not health.away:
            try:
                async with replica.connect() as connection:
                    lag = (await connection.execute(_REPLAY_LAG)).scalar()
                ready["replicaLagSeconds"] = round(float(lag), 3) if lag is not None else None
            except Exception as error:  # queries go to the primary until it answers
                health.mark_away(type(error).__name__)
        if health.away:  # still ready: the primary answers what the replica would
            ready["replica"] = "unreachable: queries read from the primary until it answers"
    ready["work"] = await work_detail(request.app.state.services)
    return JSONResponse(ready)


async def work_detail(services: Services) -> dict[str, object]:
    """What waits to be sent, and the periodic work's schedule (``work/periodic.py``):
    informative, never a reason to be unready (requests are served all the same)."""
    queues = await backlog(WorkContext.of(services))
    try:
        due = await schedule(services.sessions)
    except Exception:  # the backlog's warning says the database was away
        due = []
    return {
        "queues": {
            name: {"queued": queue.queued, "oldestSeconds": round(queue.oldest_s, 1)}
            for name, queue in (queues or {}).items()
        },
        "schedule": {
            kind.name: {
                "overdueSeconds": round(kind.overdue_s, 1),
                "running": kind.held,
                "lastError": kind.last_error,
            }
            for kind in due
        },
    }


# Seconds since the last replayed transaction's commit (null: none replayed yet, or not a
# standby at all).
_REPLAY_LAG = text("SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())")
