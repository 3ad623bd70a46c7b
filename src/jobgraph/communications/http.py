"""The page an unsubscribe link in an announcement opens. GET asks (mail scanners follow
links: a GET must change nothing); POST, from its button or a mail client's one-click
unsubscribe (RFC 8058), withdraws the consent."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse

from jobgraph.communications import service
from jobgraph.errors import JobgraphError
from jobgraph.request_state import state_of

PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
)


def _page(site: str, message: str, form: str = "", status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"""<!doctype html><html><head><meta charset="utf-8"><title>{site}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto">
<h1>{site}</h1><p>{message}</p>{form}</body></html>""",
        status_code=status,
        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"},
    )


async def unsubscribe_page(request: Request) -> HTMLResponse:
    state = state_of(request.scope)
    tenant = state.tenant
    site = html.escape(tenant.site_name)
    token = request.query_params.get("token", "")
    secret = request.app.state.services.settings.secret_key
    try:
        service.read_unsubscribe_token(secret, token)
        if request.method == "GET":
            action = html.escape(f"/unsubscribe?token={token}")
            return _page(
                site,
                "Stop e-mails about this site's updates?",
                f'<form method="post" action="{action}"><button type="submit">'
                "Unsubscribe</button></form>",
            )
        db = state.db
        async with db.begin():
            await service.unsubscribe(db, tenant, secret, token)
    except JobgraphError as error:
        return _page(site, html.escape(error.message), status=400)
    return _page(
        site,
        "You will get no more e-mails about this site's updates. You can change this in "
        "your settings at any time.",
    )
