"""The employer console at ``/console``: GraphiQL, branded per tenant, whose requests carry
the signed-in employer's token. Everything it loads comes from this service (``vendor/``
holds pinned GraphiQL and React releases), under a content security policy that allows
nothing else: no CDN, no inline script, no other origin to talk to.

The page holds no secret and no personal data; signing in happens in the browser, through
the API's own ``login`` mutation, and the token lives in the tab's sessionStorage."""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from jobgraph.console.examples import PLACEHOLDERS, examples_for
from jobgraph.console.messages import language_of, messages_for
from jobgraph.console.vendor import FILES, VENDOR_DIR, digest
from jobgraph.errors import NotFound, error_response
from jobgraph.policy.describe import policy_keys
from jobgraph.policy.fields import DataUse
from jobgraph.request_state import state_of
from jobgraph.tenancy.registry import Tenant
from jobgraph.viewer import Scope
from jobgraph.widget.routes import WIDGET_PATH

STATIC_DIR = Path(__file__).parent / "static"


def console_csp(tenant: Tenant) -> str:
    """Nothing but this service, and the tenant's sign-in provider's token endpoint when the
    console signs in through it."""
    oidc = tenant.config.auth.oidc
    connect = "'self'"
    if oidc is not None and oidc.token_endpoint:
        connect += " " + _origin(oidc.token_endpoint)
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            # GraphiQL sets style attributes at run time; its fonts are data: URLs in its CSS.
            "style-src 'self' 'unsafe-inline'",
            "font-src 'self' data:",
            "img-src 'self' data: https:",
            f"connect-src {connect}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


@cache
def _assets() -> dict[str, tuple[bytes, str]]:
    """Every asset's bytes and version tag (its checksum's start), read once per process."""
    found = {}
    for path in (VENDOR_DIR / file.name for file in FILES):
        found[path.name] = path.read_bytes()
    for path in STATIC_DIR.iterdir():
        if path.suffix in CONTENT_TYPES:
            found[path.name] = path.read_bytes()
    return {name: (data, digest(data)[:12]) for name, data in found.items()}


def _asset(name: str) -> tuple[bytes, str] | None:
    return _assets().get(name)


def _asset_url(name: str) -> str:
    found = _asset(name)
    assert found is not None, name
    return f"/console/assets/{name}?v={found[1]}"


async def console_asset(request: Request) -> Response:
    name = request.path_params["name"]
    found = _asset(name)
    if found is None:
        return error_response(NotFound(f"No console asset '{name}'."))
    data, _version = found
    return Response(
        data,
        media_type=CONTENT_TYPES[Path(name).suffix],
        # The URL carries the checksum: a new release gets a new URL.
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


def _config(tenant: Tenant) -> dict[str, Any]:
    auth = tenant.config.auth
    return {
        "tenant": tenant.slug,
        "siteName": tenant.config.branding.site_name,
        "endpoint": "/graphql",
        # What reads a result in parts (@defer): the widget's module, which exports it.
        "partsReader": WIDGET_PATH,
        "passwordLogin": auth.password_login,
        # Sign-in through the tenant's provider: authorization code with PKCE, the console
        # being the public client `audience`.
        "oidc": {
            "issuer": auth.oidc.issuer,
            "clientId": auth.oidc.audience,
            "authorizationEndpoint": auth.oidc.authorization_endpoint,
            "tokenEndpoint": auth.oidc.token_endpoint,
        }
        if auth.oidc and auth.oidc.authorization_endpoint
        else None,
        "placeholders": PLACEHOLDERS,
        "messages": messages_for(tenant.config.branding.locale),
        # The settings screen draws each policy key from the policy's own model.
        "policyKeys": policy_keys(language_of(tenant.config.branding.locale)),
        "clientScopes": [scope.name for scope in Scope],
        "resumeSearch": DataUse.RESUME_SEARCH in tenant.config.policy.data_uses,
        # Whether GraphiQL may ask for the schema before sign-in (policy.api.introspection).
        "anonymousIntrospection": tenant.config.policy.api.introspection == "on",
        "examples": [
            {"title": e.title, "query": e.query, "variables": json.dumps(e.variables, indent=2)}
            for e in examples_for(tenant.config)
        ],
    }


def _json_for_html(value: dict[str, Any]) -> str:
    # Inside <script type="application/json">: nothing in it may close the element.
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


async def console_page(request: Request) -> Response:
    tenant = state_of(request.scope).tenant
    if not tenant.config.employer_console_enabled:
        return error_response(NotFound(f"{tenant.site_name} offers no employer console."))
    branding = tenant.config.branding
    site = html.escape(branding.site_name)
    logo = (
        f'<img class="console-logo" src="{html.escape(branding.logo_url)}" alt="">'
        if branding.logo_url
        else ""
    )
    config = _config(tenant)
    oidc = config["oidc"]
    say = {key: html.escape(text) for key, text in config["messages"].items()}
    sign_in_fields = (
        (
            f'<input id="email" type="email" autocomplete="username" aria-label="{say["email"]}" '
            f'placeholder="{say["email"]}" required><input id="password" type="password" '
            f'autocomplete="current-password" aria-label="{say["password"]}" '
            f'placeholder="{say["password"]}" required><label class="console-operator">'
            f'<input id="operator" type="checkbox"> {say["operator"]}</label>'
            f'<input id="operator-code" inputmode="numeric" autocomplete="one-time-code" '
            f'aria-label="{say["operatorCode"]}" placeholder="{say["operatorCode"]}" hidden>'
            f'<button type="submit">{say["signIn"]}</button>'
        )
        if tenant.config.auth.password_login
        else ""
    ) + (
        '<button id="provider-sign-in" type="button">'
        + say["signInWith"].replace("{provider}", html.escape(urlsplit(oidc["issuer"]).netloc))
        + "</button>"
        if oidc
        else ""
    )
    page = f"""<!doctype html>
<html lang="{html.escape(branding.locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{site} · {say["console"]}</title>
<link rel="stylesheet" href="{_asset_url("graphiql.min.css")}">
<link rel="stylesheet" href="{_asset_url("console.css")}">
<style>:root {{ --console-primary: {branding.primary_color};
  --console-accent: {branding.accent_color}; }}</style>
</head>
<body>
<header class="console-bar">
  {logo}<span class="console-site">{site}</span><span class="console-name">{say["console"]}</span>
  <form id="sign-in" class="console-auth">{sign_in_fields}</form>
  <span id="signed-in" class="console-auth" hidden>{say["signedInAs"]} <b id="who"></b>
    <button id="site-settings" type="button" hidden>{say["siteSettings"]}</button>
    <button id="sign-out" type="button">{say["signOut"]}</button></span>
  <span id="message" class="console-message" role="status"></span>
</header>
<main id="graphiql" class="console-graphiql">{say["loading"]}</main>
<main id="admin" class="console-admin" hidden></main>
<script type="application/json" id="console-config">{_json_for_html(config)}</script>
<script src="{_asset_url("react.production.min.js")}"></script>
<script src="{_asset_url("react-dom.production.min.js")}"></script>
<script src="{_asset_url("graphiql.min.js")}"></script>
<script src="{_asset_url("graphql-ws.min.js")}"></script>
<script src="{_asset_url("admin.js")}"></script>
<script src="{_asset_url("console.js")}"></script>
</body>
</html>
"""
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": console_csp(tenant),
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
        },
    )
