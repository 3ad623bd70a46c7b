"""Liveness (the process answers) and readiness (its database is reachable and migrated)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from jobgraph.db.migrate import current_revision, head_revision


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
    return JSONResponse({"status": "ready", "revision": current})
