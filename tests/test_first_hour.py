"""What a newcomer and a partner's developer meet first: the API's address opened in a
browser, the demo sites' logos, and each site's public schema to build against."""

import base64
import hashlib
import re

from graphql import build_schema

from tests.conftest import error_code


async def test_the_api_address_opened_in_a_browser_points_to_the_console(api):
    page = await api.http.get(
        "/graphql", headers={"Host": "kansai.jobboard.localhost", "Accept": "text/html"}
    )
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Kansai Jobs" in page.text and 'href="/console"' in page.text
    assert 'href="/schema.graphql"' in page.text
    # Styled as its own policy allows: each style block's hash is one it names.
    policy = page.headers["content-security-policy"]
    styles = re.findall(r"<style>(.*?)</style>", page.text, re.S)
    assert styles and " style=" not in page.text
    for style in styles:
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"style-src 'sha256-{digest}'" in policy


async def test_the_logos_the_demo_tenant_files_name_are_served(api):
    for slug in ("jobboard", "kansai-jobs", "community"):
        site = await api.data("{ tenant { branding { logoUrl } } }", tenant=slug)
        logo = await api.http.get(site["tenant"]["branding"]["logoUrl"])
        assert logo.status_code == 200, slug
        assert logo.headers["content-type"] == "image/svg+xml"
        assert logo.text.lstrip().startswith("<svg")
    for bad in (
        "/static/jobboard/missing.svg",
        "/static/jobboard/logo.toml",
    ):
        refused = await api.http.get(bad)
        assert refused.status_code == 404 and refused.json()["errors"][0]["extensions"]["code"]


async def test_each_site_publishes_the_schema_its_anonymous_callers_and_keys_may_call(api):
    response = await api.http.get("/schema.graphql", headers={"X-Tenant": "kansai-jobs"})
    assert response.status_code == 200
    public = build_schema(response.text)  # a valid SDL a code generator can read
    queries = set(public.query_type.fields)
    assert {"jobs", "job", "company", "tenant"} <= queries
    assert not {"staffResume", "applicants", "searchCandidates", "tenantHistory"} & queries
    mutations = set(public.mutation_type.fields)
    assert {"login", "register", "sendInquiry"} <= mutations
    assert not {"createTenant", "lawfulDisclosure", "createJob", "publishJob"} & mutations
    # What it lists runs for an anonymous caller (errors are about input, never access).
    body = await api.graphql("{ jobs(first: 1) { totalCount } }", tenant="kansai-jobs")
    assert "errors" not in body
    unknown = await api.http.get("/schema.graphql", headers={"X-Tenant": "nowhere"})
    assert unknown.status_code == 404
    assert error_code(unknown.json()) == "TENANT_UNKNOWN"
