"""The embeddable job search: /widget/jobgraph-search.js, one module that defines the
<jobgraph-search site-key="…"> element (see docs/tenants.md). A public, static script: any
page may load it (it is fetched in CORS mode as a module), and what it may then ask is
decided by the site key and the site's allowed origins, as for any other call."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

SCRIPT = Path(__file__).parent / "jobgraph-search.js"
WIDGET_PATH = "/widget/jobgraph-search.js"


@cache
def _script() -> tuple[bytes, str]:
    """The script and its ETag, read once per process."""
    body = SCRIPT.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


async def widget_script(request: Request) -> Response:
    body, etag = _script()
    return Response(
        body,
        media_type="text/javascript; charset=utf-8",
        headers={
            "Access-Control-Allow-Origin": "*",  # no credentials: nothing to protect
            "Cross-Origin-Resource-Policy": "cross-origin",
            "Cache-Control": "public, max-age=300",
            "ETag": etag,
        },
    )
