"""A site's partner credentials, made through the API: site keys and OAuth clients."""

from __future__ import annotations

import base64

from tests.support.accounts import admin_token

ORIGIN = "https://www.jobboard.test"
# The partner site and where its job pages are (JSON-LD, the sitemap, the aggregator feed).
PARTNER = "kansai-jobs"
JOB_PAGES = "https://jobs.kansai-partner.test/jobs/{id}"
CREATE_KEY = 'mutation { createSiteKey(name: "careers page") { id key } }'


CREATE_CLIENT = """mutation($scopes: [ClientScope!]!) {
  createOAuthClient(name: "partner backend", scopes: $scopes) {
    client { id clientId scopes } clientSecret } }"""


async def site_key(api, tenant="jobboard") -> dict:
    data = await api.data(CREATE_KEY, tenant=tenant, token=await admin_token(api, tenant))
    return data["createSiteKey"]


async def client(api, scopes, tenant="jobboard") -> tuple[str, str, str]:
    data = await api.data(
        CREATE_CLIENT, {"scopes": scopes}, tenant=tenant, token=await admin_token(api, tenant)
    )
    created = data["createOAuthClient"]
    return created["client"]["id"], created["client"]["clientId"], created["clientSecret"]


async def client_token(api, client_id, secret, tenant="jobboard", scope=None):
    form = {"grant_type": "client_credentials"}
    if scope:
        form["scope"] = scope
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return await api.http.post(
        "/oauth/token", data=form, headers={"X-Tenant": tenant, "Authorization": f"Basic {basic}"}
    )
