"""A site's own files (its logo, as its tenant file names it: ``/static/<slug>/logo.svg``),
served from ``<tenants directory>/static/<slug>/``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from jobgraph.errors import NotFound, error_response

CONTENT_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".webp": "image/webp"}


async def tenant_static_file(request: Request) -> Response:
    slug, name = request.path_params["slug"], request.path_params["name"]
    directory = (request.app.state.services.settings.tenants_dir / "static").resolve()
    path = (directory / slug / name).resolve()
    if (
        path.parent.parent != directory  # no way out of the directory, nor into sub-folders
        or path.suffix not in CONTENT_TYPES
        or not path.is_file()
    ):
        missing = NotFound(f"No file '{slug}/{name}' among the sites' static files.")
        return error_response(missing)
    return FileResponse(
        path,
        media_type=CONTENT_TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=3600"},
    )
