"""The employer console: its page and assets over HTTP, its example operations against the
schema, and an employer working in it in a real headless Chromium on each demo tenant."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from pathlib import Path

import pyotp
import pytest
from graphql import parse, validate

from jobgraph.console.examples import EXAMPLES
from jobgraph.console.vendor import FILES, VENDOR_DIR
from jobgraph.graphql.schema import schema
from jobgraph.tenancy.files import load_tenant_dir
from tests.conftest import DEMO_PASSWORD, TEST_SETTINGS, code_in, demo_code
from tests.support.accounts import admin_token
from tests.support.browser import (
    AXE,
    CHROMIUM_FLAGS,
    OUTPUT,
    accessibility_violations,
    chromium_path,
    console_signed_in,
    listening,
)
from tests.support.npm import installed
from tests.support.tenants import TOKYO_PARTNER, create_tenant

TEST_SETTINGS_TENANTS = {
    config.slug: config for config in load_tenant_dir(TEST_SETTINGS.tenants_dir)
}
CANARIES = ("+81-90-0000-", "+81-80-0000-", "Last Employer")


def operation_name(document: str) -> str:
    found = re.search(r"^(?:query|mutation|subscription) (\w+)", document, re.MULTILINE)
    assert found, document
    return found[1]


# The examples that are subscriptions: they answer when an event comes.
LIVE_EXAMPLES = {
    operation_name(example.query)
    for example in EXAMPLES
    if re.search(r"^subscription ", example.query, re.MULTILINE)
}


def test_the_vendored_assets_are_the_pinned_releases():
    for file in FILES:
        data = (VENDOR_DIR / file.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == file.sha256, file.name


def test_every_example_operation_is_valid_against_the_schema():
    for example in EXAMPLES:
        errors = validate(schema._schema, parse(example.query))
        assert not errors, (example.title, errors)


def missing_in_the_editor(value: object, graphql_type: object, path: str) -> list[str]:
    """What GraphiQL's variables editor marks as missing in ``value``: like its linter, every
    non-null field of an input object whose default JavaScript takes for none (no default,
    or false, 0, the empty string: ``Boolean! = false`` is marked)."""
    from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull, Undefined

    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    if isinstance(graphql_type, GraphQLList) and isinstance(value, list):
        return [
            missing
            for index, item in enumerate(value)
            for missing in missing_in_the_editor(item, graphql_type.of_type, f"{path}[{index}]")
        ]
    if not isinstance(graphql_type, GraphQLInputObjectType) or not isinstance(value, dict):
        return []
    found = []
    for name, field in graphql_type.fields.items():
        if name in value:
            found += missing_in_the_editor(value[name], field.type, f"{path}.{name}")
        elif isinstance(field.type, GraphQLNonNull) and field.default_value in (
            Undefined,
            None,
            False,
            0,
            "",
        ):
            found.append(f"{path}.{name}")
    return found


def test_no_example_shows_a_mark_in_the_variables_editor():
    from graphql import type_from_ast

    for example in EXAMPLES:
        [operation] = parse(example.query).definitions
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name in example.variables:
                graphql_type = type_from_ast(schema._schema, definition.type)
                missing = missing_in_the_editor(example.variables[name], graphql_type, name)
                assert missing == [], (example.title, missing)


async def test_the_console_page_is_branded_self_contained_and_locked_down(api):
    response = await api.http.get("/console", headers={"Host": "kansai.jobboard.localhost"})
    assert response.status_code == 200
    page = response.text
    # In the site's language (ja-JP), as its branding says.
    assert "<title>Kansai Jobs — powered by Japan Job Board · 採用担当者コンソール</title>" in page
    assert '<html lang="ja-JP">' in page and ">ログイン</button>" in page
    assert "--console-primary: #7a1f3d" in page
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert "unsafe-eval" not in csp and "default-src 'none'" in csp
    # Every script and stylesheet comes from this service.
    for marker in ('src="http', "src='http", 'href="http', "//unpkg", "//cdn"):
        assert marker not in page
    for name in ("graphiql.min.js", "react.production.min.js", "console.js"):
        asset_url = page.split(f"/console/assets/{name}?v=")[0].rsplit('"', 1)[-1]
        assert asset_url == ""  # the reference is relative to this service
        asset = await api.http.get(f"/console/assets/{name}")
        assert asset.status_code == 200 and asset.headers["content-type"].startswith(
            "text/javascript"
        )
    missing = await api.http.get("/console/assets/..%2Fvendor.py")
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("host", "prompt"),
    [
        ("jobboard.localhost", "Sign in first"),
        ("kansai.jobboard.localhost", "先にログインしてください"),
    ],
)
async def test_the_consoles_first_screen_asks_to_sign_in_and_passes_axe(database, host, prompt):
    """Before sign-in: the examples in their editors, a prompt to sign in in the site's
    language, nothing refused in the result pane, and nothing axe-core finds wrong (the
    console's own parts and GraphiQL as the console draws it)."""
    from playwright.async_api import async_playwright

    async with listening(database) as port, async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.add_init_script(path=str(installed(AXE) / "axe-core" / "axe.min.js"))
            await page.goto(f"http://{host}:{port}/console")
            await page.locator("#graphiql[data-rendered-for=anonymous]").wait_for()
            await page.locator(".graphiql-query-editor .CodeMirror textarea[aria-label]").wait_for(
                state="attached"
            )
            assert (await page.text_content("#message")).startswith(prompt)
            await page.wait_for_load_state("networkidle")  # any request the page makes, answered
            result_pane = await page.locator(".graphiql-response").text_content()
            assert "FORBIDDEN" not in result_pane and "error" not in result_pane.lower()
            assert await accessibility_violations(page) == []
        finally:
            await browser.close()


async def test_a_partner_site_offers_the_console_only_when_it_enables_it(api):
    operator = await api.operator_token()
    await create_tenant(api, operator, TOKYO_PARTNER)  # no employer_console key
    host = {"Host": "tokyo.jobboard.localhost"}
    refused = await api.http.get("/console", headers=host)
    assert refused.status_code == 404
    assert refused.json()["errors"][0]["message"] == "Tokyo Jobs offers no employer console."
    await api.data(
        'mutation { updateTenantPolicy(slug: "tokyo-jobs", changes: {employer_console: true}) '
        "{ settings { version } } }",
        tenant="jobboard",
        token=operator,
    )
    assert (await api.http.get("/console", headers=host)).status_code == 200


@pytest.mark.parametrize(
    ("tenant", "host", "example", "expected"),
    [
        ("jobboard", "jobboard.localhost", "SearchCandidates", "withheldFields"),
        ("kansai-jobs", "kansai.jobboard.localhost", "SearchCandidates", "withheldFields"),
        # The community site offers no resume search: its employers review their postings.
        ("community", "community.localhost", "MyPostings", "totalCount"),
    ],
)
async def test_an_employer_works_in_the_console_in_a_real_browser(
    database, tenant, host, example, expected
):
    from playwright.async_api import async_playwright

    OUTPUT.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    async with listening(database) as port, async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on(
                "console",
                lambda message: (
                    problems.append(message.text)
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            outside = []
            page.on(
                "request",
                lambda request: (
                    outside.append(request.url)
                    if not request.url.startswith(f"http://{host}:{port}/")
                    else None
                ),
            )
            asked_for_schema = []
            page.on(
                "request",
                lambda request: (
                    asked_for_schema.append(request.url)
                    if "__schema" in (request.post_data or "")
                    else None
                ),
            )
            await page.goto(f"http://{host}:{port}/console")
            # The first screen: a sign-in form and the examples, no error. The schema is
            # the signed-in people's on these sites: GraphiQL does not ask for it yet.
            await graphiql_rendered_for(page, "anonymous")
            await page.wait_for_load_state("networkidle")
            assert asked_for_schema == []
            assert "FORBIDDEN" not in (await page.text_content(".graphiql-container") or "")
            await page.fill("#email", f"employer@{tenant}.test")
            await page.fill("#password", DEMO_PASSWORD)
            await page.click("#sign-in button")
            await page.locator("#signed-in").wait_for(state="visible")
            assert (await page.text_content("#who")) == f"employer@{tenant}.test"
            # Signed in, GraphiQL reads the schema; the headers editor is there to use.
            await graphiql_rendered_for(page, f"employer@{tenant}.test")
            await page.wait_for_load_state("networkidle")
            assert asked_for_schema, "signed in, GraphiQL asked for the schema"
            assert await page.get_by_role("button", name="Headers").count() == 1
            # In the site's language: the partner site's is Japanese (ja-JP).
            working = await page.text_content("#message")
            if tenant == "kansai-jobs":
                assert working.endswith("の担当者として操作しています。"), working
                assert await page.text_content("#sign-out") == "ログアウト"
            else:
                assert working.startswith("Working for "), working

            tabs = await page.locator(".graphiql-tab").all_text_contents()
            offered_search = any("SearchCandidates" in tab for tab in tabs)
            assert offered_search == (tenant != "community"), tabs
            await page.locator(".graphiql-tab", has_text=example).click()
            await page.locator(".graphiql-tab-active", has_text=example).wait_for()
            await page.click(".graphiql-execute-button")
            result = page.locator(".result-window", has_text=expected)
            try:
                await result.wait_for(timeout=20_000)
            finally:  # the result pane as the employer saw it (or the failure)
                await page.screenshot(path=OUTPUT / f"{tenant}.png")
            shown = await page.evaluate(
                "document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"
            )

            assert '"errors"' not in shown, shown
            if example == "SearchCandidates":
                assert '"level": "PARTIAL"' in shown
                assert '"FULL_NAME"' in shown and '"fullName": null' in shown
                assert '"phone": null' in shown
            for canary in CANARIES:
                assert canary not in shown

            # A refused operation: on the Japanese site, what its code means comes first
            # in Japanese, the server's English detail after it.
            await page.evaluate(
                "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
                ".setValue('query Refused { jobs(first: -1) { totalCount } }')"
            )
            await page.click(".graphiql-execute-button")
            await page.locator(".result-window", has_text="BAD_USER_INPUT").wait_for()
            refused = await page.evaluate(
                "document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"
            )
            message = json.loads(refused)["errors"][0]["message"]
            if tenant == "kansai-jobs":
                assert message.startswith("入力に誤りがあります。 "), message
            else:
                assert message[0].isascii(), message

            # A query that defers its count: GraphiQL shows the parts put together.
            await page.evaluate(
                "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
                ".setValue('query Deferred { jobs(first: 2) { edges { node { id } } "
                "... @defer { totalCount } } }')"
            )
            await page.click(".graphiql-execute-button")
            await page.locator(".result-window", has_text="totalCount").wait_for()
            deferred = json.loads(
                await page.evaluate(
                    "document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"
                )
            )
            assert len(deferred["data"]["jobs"]["edges"]) == 2, deferred
            assert deferred["data"]["jobs"]["totalCount"] > 0 and "errors" not in deferred
            assert outside == [], outside
            assert problems == [], problems

            await page.click("#sign-out")
            await page.locator("#sign-in").wait_for(state="visible")
            # Signing out forgets the token and the signed-in person's tabs and results.
            stored = await page.evaluate("Object.fromEntries(Object.entries(sessionStorage))")
            assert not [key for key in stored if "anonymous" not in key], list(stored)
            assert not any("cand_" in value or "Bearer" in value for value in stored.values())
        finally:
            await browser.close()


async def graphiql_rendered_for(page, email: str) -> None:
    """Until the console has rendered GraphiQL, its tabs included, for ``email``: every
    example the page ships has its tab (GraphiQL may add the last ones a moment after its
    first render; a busy machine showed it)."""
    from playwright.async_api import expect

    await page.locator(f'#graphiql[data-rendered-for="{email}"]').wait_for(state="attached")
    shipped = await page.evaluate(
        "JSON.parse(document.getElementById('console-config').textContent).examples.length"
    )
    await expect(page.locator(".graphiql-tab")).to_have_count(shipped)


async def an_application_to_the_employers_newest_posting(api, tenant: str) -> None:
    """What the demo has on a fresh start (`make run`): a seeker applied to the employer
    (on a partner site, one of its main site's seekers: they share accounts)."""
    employer = (await api.sign_in(f"employer@{tenant}.test", tenant))["accessToken"]
    mine = await api.data(
        "{ employerJobs(first: 20, status: PUBLISHED) { edges { node { id } } } }",
        tenant=tenant,
        token=employer,
    )
    newest = mine["employerJobs"]["edges"][0]["node"]["id"]
    accounts = "jobboard" if tenant == "kansai-jobs" else tenant
    seeker = (await api.sign_in(f"seeker2@{accounts}.test", tenant))["accessToken"]
    await api.data(
        "mutation($j: ID!) { applyToJob(jobId: $j) { id } }", {"j": newest}, tenant=tenant,
        token=seeker,
    )  # fmt: skip


# The query editor's text, and where GraphiQL saves it for the signed-in person.
EDITOR_QUERY = "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"
STORED_KEY = (
    "Object.keys(sessionStorage).find(key => key.endsWith(':graphiql:query') "
    "&& !key.includes(':anonymous:'))"
)
STORED_QUERY = f"sessionStorage.getItem({STORED_KEY})"


@pytest.mark.parametrize(
    ("tenant", "host"),
    [
        ("jobboard", "jobboard.localhost"),
        ("kansai-jobs", "kansai.jobboard.localhost"),
        ("community", "community.localhost"),
    ],
)
async def test_every_example_runs_as_shipped_right_after_sign_in(api, database, tenant, host):
    from playwright.async_api import async_playwright

    await an_application_to_the_employers_newest_posting(api, tenant)
    async with listening(database) as port, async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS
        )
        try:
            # A small laptop's window: every tab stays in sight.
            page = await browser.new_page(viewport={"width": 900, "height": 800})
            await page.goto(f"http://{host}:{port}/console")
            await page.fill("#email", f"employer@{tenant}.test")
            await page.fill("#password", DEMO_PASSWORD)
            await page.click("#sign-in button")
            await graphiql_rendered_for(page, f"employer@{tenant}.test")
            tabs = await page.locator(".graphiql-tab").all_text_contents()
            hidden = await page.evaluate(
                """[...document.querySelectorAll('.graphiql-tab')].filter(tab => {
                  const box = tab.getBoundingClientRect(), list = tab.parentElement
                    .getBoundingClientRect();
                  return box.right > list.right + 1 || box.right > innerWidth; }).length"""
            )
            assert hidden == 0, "tabs cut off at 900 px"
            answers = {}
            for index, title in enumerate(tabs):
                if any(name in title for name in LIVE_EXAMPLES):
                    continue  # runs until an event comes: its own test below
                await page.locator(".graphiql-tab").nth(index).click()
                await page.locator(".graphiql-tab-active").nth(0).wait_for()
                await page.click(".graphiql-execute-button")
                await page.locator(".result-window", has_text='"data"').wait_for(timeout=20_000)
                answers[title] = await page.evaluate(
                    "document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"
                )
            await page.screenshot(path=OUTPUT / f"{tenant}-examples.png")
            # A reload keeps the same tabs, their ids still filled in, even where the
            # editors' text was saved apart from the tabs' (GraphiQL saves each on a timer of
            # its own; a reload between the two grew a tab): once the editor's text is
            # saved, it is made to differ, as a reload before the next save would find it.
            await page.wait_for_function(STORED_QUERY + " === " + EDITOR_QUERY)
            await page.evaluate(
                f"sessionStorage.setItem({STORED_KEY}, '# apart\\n' + {STORED_QUERY})"
            )
            await page.reload()
            await graphiql_rendered_for(page, f"employer@{tenant}.test")
            # The editor shows a tab's text once GraphiQL has settled its tabs: a stored
            # one's, not a tab grown from the text saved apart.
            await page.wait_for_function(EDITOR_QUERY + " !== ''")
            assert not (await page.evaluate(EDITOR_QUERY)).startswith("# apart")
            assert await page.locator(".graphiql-tab").all_text_contents() == tabs
            await page.locator(".graphiql-tab").nth(0).click()
            variables = await page.evaluate(
                "document.querySelector('.graphiql-editor-tool .CodeMirror').CodeMirror.getValue()"
            )
            assert "sign in:" not in variables and variables.strip() not in ("", "{}"), variables
        finally:
            await browser.close()
    expected = {
        operation_name(example.query)
        for example in EXAMPLES
        if example.offered(TEST_SETTINGS_TENANTS[tenant])
    } - LIVE_EXAMPLES
    assert {title.removesuffix("close icon").strip() for title in answers} == expected
    for title, shown in answers.items():
        assert '"errors"' not in shown, (title, shown)
    review = next(shown for title, shown in answers.items() if "ReviewApplicants" in title)
    assert '"status"' in review and '"applicants": []' not in review


async def test_an_employer_sees_a_new_applicant_appear_in_the_console(api, database):
    from playwright.async_api import async_playwright

    from jobgraph.app import create_app
    from tests.support.employers import employer_of

    employer = await employer_of(api, "jobboard")
    job_id = await employer.post(title="Live in the console")
    seeker = (await api.sign_in("seeker2@jobboard.test", "jobboard"))["accessToken"]
    app = create_app(TEST_SETTINGS, database)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    async with listening(database, app) as port, async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            await page.goto(f"http://jobboard.localhost:{port}/console")
            await page.fill("#email", "employer@jobboard.test")
            await page.fill("#password", DEMO_PASSWORD)
            await page.click("#sign-in button")
            await graphiql_rendered_for(page, "employer@jobboard.test")
            await page.locator(".graphiql-tab", has_text="NewApplicants").click()
            await page.locator(".graphiql-tab-active", has_text="NewApplicants").wait_for()
            await page.click(".graphiql-execute-button")
            # Until the service waits for this subscription's events, then one arrives.
            await asyncio.wait_for(app.state.services.live.until_subscriptions(1), 20)
            applied = await api.data(
                "mutation($j: ID!) { applyToJob(jobId: $j) { id } }", {"j": job_id},
                tenant="jobboard", token=seeker,
            )  # fmt: skip
            application_id = applied["applyToJob"]["id"]
            result = page.locator(".result-window", has_text=application_id)
            try:
                await result.wait_for(timeout=20_000)
            finally:
                await page.screenshot(path=OUTPUT / "jobboard-live.png")
            shown = await page.evaluate(
                "document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"
            )
            assert '"errors"' not in shown, shown
            assert '"title": "Live in the console"' in shown and '"fullName"' in shown
            assert problems == [], problems
        finally:
            await browser.close()


def test_every_language_of_the_console_has_every_message():
    from jobgraph.console.messages import MESSAGES, messages_for

    english = set(MESSAGES["en"])
    for language, messages in MESSAGES.items():
        assert set(messages) == english, language
    assert messages_for("ja-JP") is MESSAGES["ja"]
    assert messages_for("fr") is MESSAGES["en"]


def documented_page() -> str:
    """The copy-paste embedding example of docs/tenants.md, as a partner would paste it."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "tenants.md").read_text()
    return text.split("```html\n", 1)[1].split("```", 1)[0]


async def test_the_documented_embedding_example_works_from_a_partners_page(api, database):
    from playwright.async_api import async_playwright
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    admin = (await api.staff_sign_in("admin@kansai-jobs.test", "kansai-jobs"))["accessToken"]
    created = await api.data(
        'mutation { createSiteKey(name: "web") { key } }', tenant="kansai-jobs", token=admin
    )
    page_html = documented_page().replace("pk_...", created["createSiteKey"]["key"])
    partner_site = Starlette(routes=[Route("/jobs.html", lambda _: HTMLResponse(page_html))])
    OUTPUT.mkdir(parents=True, exist_ok=True)
    async with (
        listening(database) as port,
        listening(database, partner_site) as partner_port,
        async_playwright() as playwright,
    ):
        partner_origin = f"http://partner.localhost:{partner_port}"
        operator = await api.operator_token()
        await api.data(
            'mutation($o: [String!]!) { updateTenantPolicy(slug: "kansai-jobs", '
            "changes: {api: {allowed_origins: $o}}) { settings { version } } }",
            {"o": [partner_origin]},
            tenant="jobboard",
            token=operator,
        )
        page_html = page_html.replace(
            "https://jobs.kansai-partner.test/graphql",
            f"http://kansai.jobboard.localhost:{port}/graphql",
        )
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS
        )
        try:
            page = await browser.new_page()
            logged: list[str] = []
            page.on("console", lambda message: logged.append(message.text))
            await page.goto(f"{partner_origin}/jobs.html")
            await page.click("#search button")
            try:
                await page.locator("#results li").first.wait_for(timeout=15_000)
            except Exception:
                raise AssertionError(logged) from None
            items = await page.locator("#results li").all_text_contents()
            await page.screenshot(path=OUTPUT / "embedded-search.png")
        finally:
            await browser.close()
    assert len(items) == 20 and all(" — " in item for item in items), items


async def test_an_employer_signs_in_through_the_sites_own_provider(api, database, provider):
    """Authorization code with PKCE, from the console to a real provider on this machine
    and back, then the provider's ID token as the console's bearer token."""
    from playwright.async_api import async_playwright

    operator = await api.operator_token()
    oidc = {
        "issuer": provider.issuer,
        "audience": "jobboard-web",
        "jwks_uri": f"{provider.issuer}/jwks.json",
        "algorithms": ["RS256"],
        "authorization_endpoint": f"{provider.issuer}/authorize",
        "token_endpoint": f"{provider.issuer}/token",
    }
    await api.data(
        'mutation($c: JSON!) { updateTenant(slug: "jobboard", changes: $c) '
        "{ settings { version } } }",
        {"c": {"auth": {"oidc": oidc}}},
        tenant="jobboard",
        token=operator,
    )
    page_response = await api.http.get("/console", headers={"Host": "jobboard.localhost"})
    assert (
        f"connect-src 'self' {provider.issuer}" in page_response.headers["content-security-policy"]
    )
    async with listening(database) as port, async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS
        )
        try:
            page = await browser.new_page()
            await page.goto(f"http://jobboard.localhost:{port}/console")
            await page.click("#provider-sign-in")
            await page.locator("#signed-in").wait_for(state="visible", timeout=20_000)
            assert (await page.text_content("#who")) == "ext.user@example.org"
            assert page.url == f"http://jobboard.localhost:{port}/console"  # no code left
            await page.screenshot(path=OUTPUT / "provider-sign-in.png")
        finally:
            await browser.close()
    assert provider.grants == {}, "the code was redeemed once"


async def test_a_site_admin_manages_the_site_in_the_console(api, database):
    # The site's own webhook endpoint, which hears of each change of its settings.
    await api.data(
        'mutation { createWebhookEndpoint(url: "http://127.0.0.1:9/hooks", '
        "events: [SITE_SETTINGS_CHANGED]) { endpoint { id } } }",
        tenant="jobboard",
        token=await admin_token(api, "jobboard"),
    )
    async with (
        listening(database) as port,
        console_signed_in(port, "admin@jobboard.test", DEMO_PASSWORD) as (page, problems),
    ):
        await page.locator("#site-settings").wait_for(state="visible")
        assert "Site settings" in await page.text_content("#message")
        await page.click("#site-settings")
        admin = page.locator("#admin")
        # Staff pass the second factor before the settings open: the app's code.
        await page.locator("#second-factor-code").wait_for()
        await page.fill("#second-factor-code", "000000")
        await page.click("#verify-second-factor")
        await page.locator("#second-factor-status", has_text="code is wrong").wait_for()
        await page.fill("#second-factor-code", demo_code())
        await page.click("#verify-second-factor")
        await admin.locator("h1", has_text="Site settings").wait_for()
        first_version = int((await admin.locator("h1").text_content()).split()[-1][:-1])

        # The console itself previews the colour being chosen, before it is saved.
        await page.fill("#branding-primaryColor", "#123456")
        bar = await page.evaluate(
            "getComputedStyle(document.querySelector('.console-bar')).backgroundColor"
        )
        assert bar == "rgb(18, 52, 86)"
        await page.click("#save-branding")
        await admin.locator("#admin-status", has_text="Branding saved.").wait_for()
        history = admin.locator(".history > li").first
        assert "admin@jobboard.test" in await history.text_content()
        assert 'branding.primary_color: "#1f4e79" → "#123456"' in await history.text_content()

        # Each key is drawn by its kind and explained by the model's own description.
        assert await page.get_attribute("#policy-update_reminder_days", "type") == "number"
        assert await page.get_attribute("#policy-update_reminder_days", "min") == "30"
        full_name = page.locator("#policy-signup_requires_full_name")
        assert await full_name.get_attribute("type") == "checkbox"
        assert not await full_name.is_checked()
        help_id = await full_name.get_attribute("aria-describedby")
        assert "Registration asks for the full name" in await page.text_content(f"#{help_id}")
        # Every problem of a change at once, each beside its key, a list's item beside its
        # row; nothing is saved.
        await page.fill("#policy-update_reminder_days", "10")
        await full_name.check()
        origins = page.locator("#policy-api-allowed_origins li")
        before = await origins.count()
        await page.click("#policy-api-allowed_origins-add")
        new_origin = origins.nth(before).locator("input")
        assert await page.evaluate("document.activeElement.className") == "row-value"
        await new_origin.fill("www.example.jp")
        await page.click("#save-policy")
        too_small = admin.locator('.problem[data-key="policy.update_reminder_days"]')
        await too_small.filter(has_text="greater than").wait_for()
        beside_row = origins.nth(before).locator(".problem")
        assert "should match pattern" in await beside_row.text_content()
        # Mended (the row removed by its button), the change is saved whole.
        await page.fill("#policy-update_reminder_days", "200")
        await origins.nth(before).locator(".remove-row").click()
        await page.check("#policy-resume_visibilities-PUBLIC")  # a set of choices
        await page.select_option("#policy-api-introspection", "on")  # a choice
        await page.click("#save-policy")
        await admin.locator("#admin-status", has_text="Policy saved.").wait_for()
        changes = await admin.locator(".history > li").first.text_content()
        assert "policy.update_reminder_days: 180 → 200" in changes, changes
        assert "policy.signup_requires_full_name: false → true" in changes, changes
        assert (
            'policy.resume_visibilities: ["PRIVATE","SEARCHABLE"] → '
            '["PRIVATE","SEARCHABLE","PUBLIC"]' in changes
        ), changes
        assert 'policy.api.introspection: "signed_in" → "on"' in changes, changes
        assert "allowed_origins" not in changes
        assert await page.locator("#policy-signup_requires_full_name").is_checked()

        # One click restores the version before the change.
        await admin.locator("button.restore", has_text=f"Restore version {first_version}").click()
        await admin.locator("#admin-status", has_text="restored").wait_for()
        restored = await page.locator("#branding-primaryColor").input_value()
        assert restored == "#1f4e79"
        assert not await page.locator("#policy-signup_requires_full_name").is_checked()

        # A site key is named, and shown with its id; a partner server's client is made
        # here too, its secret shown once, and revoked.
        await page.fill("#site-key-name", "careers page")
        await page.click("#new-site-key")
        await admin.locator("#admin-status", has_text="Site key created.").wait_for()
        key_row = admin.locator("tr", has_text="careers page")
        assert await key_row.locator("code").count() == 2, "its id and its key"
        await page.fill("#client-name", "nightly import")
        await page.click("#new-client")
        created = admin.locator("#admin-status", has_text="Its secret is shown only now")
        await created.wait_for()
        assert "cs_" in await created.text_content()
        client_row = admin.locator("tr", has_text="nightly import")
        assert "JOBS_READ" in await client_row.text_content()
        await client_row.get_by_role("button", name="Revoke").click()
        await admin.locator("#admin-status", has_text="Client revoked.").wait_for()
        assert "revoked" in await admin.locator("tr", has_text="nightly import").text_content()

        # The site's webhook endpoint, with the deliveries its changes queued: one is sent
        # again on request.
        endpoint = admin.locator(".endpoints > li", has_text="http://127.0.0.1:9/hooks")
        delivery = endpoint.locator("tr", has_text="SITE_SETTINGS_CHANGED").first
        await delivery.wait_for()
        await delivery.get_by_role("button", name="Deliver again").click()
        await admin.locator("#admin-status", has_text="sent again soon").wait_for()
        await page.screenshot(path=OUTPUT / "site-settings.png", full_page=True)
        assert await accessibility_violations(page, "#admin") == []

        # Platform operators sign in on the same form.
        await page.click("#close-settings")
        await page.locator("#sign-out").click()
        await page.locator("#sign-in").wait_for(state="visible")
        await page.fill("#email", "operator@jobgraph.test")
        await page.fill("#password", DEMO_PASSWORD)
        await page.check("#operator")
        await page.fill("#operator-code", demo_code())
        await page.click("#sign-in button")
        await page.locator("#site-settings").wait_for(state="visible")
        await page.click("#site-settings")
        await admin.locator("h1", has_text="Site settings").wait_for()
        assert problems == [], problems


async def test_a_partner_sites_admin_edits_choices_and_lists_in_japanese(database):
    """The settings screen of a ja-JP site speaks Japanese, descriptions included; a set
    of choices is checkboxes, a list in a group (the feed's prefectures) is rows to remove
    and add, focus staying where the admin acts; the saved change is what they chose."""
    async with (
        listening(database) as port,
        console_signed_in(
            port, "admin@kansai-jobs.test", DEMO_PASSWORD, host="kansai.jobboard.localhost"
        ) as (page, problems),
    ):
        await page.locator("#site-settings").wait_for(state="visible")
        await page.click("#site-settings")
        await page.locator("label[for=second-factor-code]", has_text="リカバリーコード").wait_for()
        await page.fill("#second-factor-code", demo_code())
        await page.click("#verify-second-factor")
        admin = page.locator("#admin")
        await admin.locator("h1", has_text="サイト設定：kansai-jobs").wait_for()
        assert await page.text_content("#save-policy") == "ポリシーを保存"
        data_uses = page.locator("fieldset#policy-data_uses")
        assert "サイトが行う求職者データの利用" in await data_uses.text_content()

        await page.uncheck("#policy-data_uses-JOB_ALERT_MAIL")
        prefectures = page.locator("#policy-feed-prefectures li")
        assert await prefectures.locator("input").evaluate_all(
            "inputs => inputs.map(input => input.value)"
        ) == ["Osaka", "Kyoto", "Hyogo", "Nara"]
        await prefectures.nth(3).get_by_role("button", name="Nara を削除").click()
        focused = await page.evaluate("document.activeElement.value")
        assert focused == "Hyogo", "focus moves to the row before the one removed"
        await page.click("#policy-feed-prefectures-add")
        await page.keyboard.type("和歌山県")
        await page.select_option("#policy-api-introspection", "off")  # a choice
        await page.select_option("#policy-employer_console", "")  # yes/no, or the default
        await page.fill(  # a table of lists, as JSON
            "#policy-statistics_groups", '{"career_level": ["ENTRY", "MID"]}'
        )
        await page.fill(  # a text, empty until set
            "#policy-job_url_template", "https://jobs.kansai-partner.test/jobs/{id}"
        )
        await page.click("#save-policy")
        await admin.locator("#admin-status", has_text="ポリシーを保存しました。").wait_for()
        changes = await admin.locator(".history > li").first.text_content()
        lines = await admin.locator(".history > li").first.locator("li").all_text_contents()
        [data_uses] = [line for line in lines if line.startswith("policy.data_uses:")]
        before, after = data_uses.split("→")
        assert "JOB_ALERT_MAIL" in before and "JOB_ALERT_MAIL" not in after
        assert (
            'policy.feed.prefectures: ["Osaka","Kyoto","Hyogo","Nara"] → '
            '["Osaka","Kyoto","Hyogo","Wakayama"]' in changes
        ), changes
        assert 'policy.api.introspection: "signed_in" → "off"' in changes, changes
        assert "policy.employer_console: true → null" in changes, changes
        assert (
            'policy.statistics_groups.career_level: ["ENTRY","MID","SENIOR","EXECUTIVE"] → '
            '["ENTRY","MID"]' in changes
        ), changes
        # The attributes deleted from the text are gone, not left as they were.
        assert "policy.statistics_groups.nationality: [" in changes, changes
        groups = await page.input_value("#policy-statistics_groups")
        assert json.loads(groups) == {"career_level": ["ENTRY", "MID"]}
        assert (
            'policy.job_url_template: null → "https://jobs.kansai-partner.test/jobs/{id}"'
            in changes
        ), changes
        assert not await page.locator("#policy-data_uses-JOB_ALERT_MAIL").is_checked()
        await page.screenshot(path=OUTPUT / "site-settings-ja.png", full_page=True)
        assert await accessibility_violations(page, "#admin") == []
        assert problems == [], problems


async def test_the_console_walks_a_new_site_admin_through_enrolling_a_second_factor(
    api, database, outbox
):
    """A seeker made admin (by invitation) has no second factor: the console enrols one,
    with a QR code it draws itself, and then opens the settings."""
    admin = (await api.staff_sign_in("admin@jobboard.test", "jobboard"))["accessToken"]
    await api.data(
        'mutation { grantTenantAdmin(email: "seeker24@jobboard.test") }',
        tenant="jobboard",
        token=admin,
    )
    [invitation] = await outbox("seeker24@jobboard.test", "SITE_ADMIN_INVITATION")
    seeker = (await api.sign_in("seeker24@jobboard.test", "jobboard"))["accessToken"]
    await api.data(
        "mutation($t: String!) { acceptTenantAdmin(token: $t) { isTenantAdmin } }",
        {"t": code_in(invitation["body"])},
        tenant="jobboard",
        token=seeker,
    )
    async with (
        listening(database) as port,
        console_signed_in(port, "seeker24@jobboard.test", DEMO_PASSWORD) as (page, problems),
    ):
        await page.locator("#site-settings").wait_for(state="visible")
        await page.click("#site-settings")
        await page.locator("#enrol-password").wait_for()
        await page.fill("#enrol-password", DEMO_PASSWORD)
        await page.click("#start-enrolment")
        qr = page.locator("svg#second-factor-qr")
        await qr.wait_for()
        assert (await qr.bounding_box())["width"] >= 100, "a QR code an app can scan"
        secret = await page.text_content("#second-factor-secret")
        await page.screenshot(path=OUTPUT / "second-factor-enrolment.png")
        await page.fill("#enrol-code", pyotp.TOTP(secret).now())
        await page.click("#confirm-enrolment")
        codes = page.locator("#recovery-codes li")
        await codes.first.wait_for()
        assert await codes.count() == 10
        await page.click("#second-factor-done")
        await page.locator("#admin h1", has_text="Site settings").wait_for()
        assert problems == [], problems
