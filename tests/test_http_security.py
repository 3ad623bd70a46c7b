"""Security headers on every response; CORS per tenant, without wildcards or credentials."""

import pytest

QUERY = {"query": "{ tenant { slug } }"}
JOBBOARD_ORIGIN = "https://www.jobboard.test"


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/healthz", {}),
        ("POST", "/graphql", {"X-Tenant": "jobboard"}),
        ("POST", "/graphql", {"Host": "unknown.example"}),
        ("GET", "/.well-known/jwks.json", {}),
    ],
)
async def test_every_response_carries_the_security_headers(api, method, path, headers):
    response = await api.http.request(
        method, path, headers=headers, json=QUERY if method == "POST" else None
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def preflight(api, tenant: str, origin: str):
    return await api.http.options(
        "/graphql",
        headers={
            "X-Tenant": tenant,
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-site-key",
        },
    )


async def test_a_preflight_from_an_allowed_origin_is_answered_for_that_origin_only(api):
    response = await preflight(api, "jobboard", JOBBOARD_ORIGIN)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == JOBBOARD_ORIGIN
    assert "x-site-key" in response.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in response.headers
    assert "Origin" in response.headers["vary"]


@pytest.mark.parametrize("origin", ["http://jobboard.localhost:5173", "http://jobboard.localhost"])
async def test_in_development_any_port_of_the_sites_loopback_names_is_allowed(api, origin):
    """A developer's page on the site's own local name, served by their own tools."""
    response = await preflight(api, "jobboard", origin)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize(
    ("tenant", "origin"),
    [
        ("jobboard", "https://evil.example"),
        ("community", JOBBOARD_ORIGIN),  # another tenant's origin
        ("community", "http://jobboard.localhost:5173"),  # another site's loopback name
        ("jobboard", "http://evil.localhost:5173"),  # a loopback name not the site's
        ("jobboard", "https://www.jobboard.test:8443"),  # a public name: only as listed
    ],
)
async def test_a_preflight_from_another_origin_is_refused(api, tenant, origin):
    response = await preflight(api, tenant, origin)
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


async def test_responses_name_the_allowed_origin_and_never_a_wildcard(api):
    allowed = await api.http.post(
        "/graphql", json=QUERY, headers={"X-Tenant": "jobboard", "Origin": JOBBOARD_ORIGIN}
    )
    assert allowed.headers["access-control-allow-origin"] == JOBBOARD_ORIGIN
    foreign = await api.http.post(
        "/graphql", json=QUERY, headers={"X-Tenant": "jobboard", "Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in foreign.headers
    assert foreign.status_code == 200, "CORS is the browser's to enforce on reads"


async def test_every_layers_headers_arrive_together_each_once(api):
    """CORS, the tenant header's Vary, the request id, the private cache policy and the
    security headers are each added by a different layer, in one pass as the response
    starts: each is there, once, and Vary is one header naming both."""
    response = await api.http.post(
        "/graphql",
        json=QUERY,
        headers={
            "X-Tenant": "jobboard",
            "Origin": JOBBOARD_ORIGIN,
            "X-Request-Id": "partner-req-000123",
        },
    )
    names = [name for name, _value in response.headers.raw]
    assert len(names) == len(set(names)), names
    assert response.headers["access-control-allow-origin"] == JOBBOARD_ORIGIN
    assert response.headers["vary"] == "Origin, X-Tenant"
    assert response.headers["x-request-id"] == "partner-req-000123"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-type"] == "application/json"
