"""The embeddable job search, <jobgraph-search>, in a real Chromium on a partner's page:
one script tag and one element, results in the site's branding and language, facets,
paging, the keyboard, and a clear message for a refused origin or a bad key."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.support.accounts import admin_token
from tests.support.browser import CHROMIUM_FLAGS, OUTPUT, chromium_path, listening

PAGE = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Partner jobs</title>
<script type="module" src="{script}"></script>
<jobgraph-search site-key="{key}"{attributes}></jobgraph-search>
</html>"""


async def test_the_widget_searches_from_a_partners_page(api, database):
    from playwright.async_api import async_playwright

    token = await admin_token(api, "kansai-jobs")
    key = (
        await api.data(
            'mutation { createSiteKey(name: "widget") { key } }', tenant="kansai-jobs", token=token
        )
    )["createSiteKey"]["key"]
    pages: dict[str, str] = {}
    partner = Starlette(routes=[Route("/{name}", lambda request: HTMLResponse(
        pages.get(request.path_params["name"], ""), 200 if request.path_params["name"] in pages
        else 404))])  # fmt: skip
    OUTPUT.mkdir(parents=True, exist_ok=True)
    async with (
        listening(database) as port,
        listening(database, partner) as partner_port,
        async_playwright() as playwright,
    ):
        allowed = f"http://partner.localhost:{partner_port}"
        await api.data(
            "mutation($o: [String!]!) { updateTenantPolicy(changes: {api: {allowed_origins: $o}})"
            " { settings { version } } }",
            {"o": [allowed]},
            tenant="kansai-jobs",
            token=token,
        )
        script = f"http://kansai.jobboard.localhost:{port}/widget/jobgraph-search.js"
        pages["jobs.html"] = PAGE.format(script=script, key=key, attributes="")
        pages["stale.html"] = PAGE.format(script=script, key="pk_revoked0000", attributes="")
        # Its documented attributes: lang over the site's language, api for the endpoint.
        pages["english.html"] = PAGE.format(
            script=script,
            key=key,
            attributes=f' lang="en" api="http://kansai.jobboard.localhost:{port}/graphql"',
        )
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS
        )
        try:
            page = await browser.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            await page.goto(f"{allowed}/jobs.html")
            widget = page.locator("jobgraph-search")
            results = widget.locator("li")
            await results.nth(9).wait_for(timeout=15_000)
            status = widget.locator('[role="status"]')
            # The site's language (ja-JP) and colours, whatever the partner page's.
            assert (await status.text_content()).endswith("件の求人")
            primary = await widget.evaluate("w => w.style.getPropertyValue('--primary')")
            assert primary == "#7a1f3d"
            total = int((await status.text_content()).split()[0])
            await page.screenshot(path=OUTPUT / "widget.png")

            await widget.locator("button.more").click()  # the next page, appended
            await results.nth(19).wait_for()

            facet = widget.locator(".facets button").first  # a category, with its count
            label = await facet.text_content()
            await facet.click()
            await widget.locator('.facets button[aria-pressed="true"]').wait_for()
            count = int(label.rsplit("(", 1)[1].rstrip(")"))
            await status.filter(has_text=f"{count} ").wait_for()
            assert count < total

            # The keyboard alone: into the field, type, Enter.
            await widget.locator("input").focus()
            await page.keyboard.type("zzqxnotajob")
            await page.keyboard.press("Enter")
            await status.filter(has_text="条件に合う求人はありません").wait_for()
            assert await results.count() == 0
            assert await widget.locator("input").get_attribute("aria-label") == "求人を検索"

            await page.goto(f"{allowed}/english.html")
            await results.nth(9).wait_for(timeout=15_000)
            assert (await status.text_content()).endswith(" jobs")
            assert await widget.locator("input").get_attribute("aria-label") != "求人を検索"

            # A stale key, and a page on an origin the site did not allow: clear messages,
            # in the page's language (the site's is known only from an answer).
            await page.goto(f"{allowed}/stale.html")
            await status.filter(has_text="The site key is unknown or revoked").wait_for()
            other = f"http://127.0.0.1:{partner_port}"
            await page.goto(f"{other}/jobs.html")
            await status.filter(has_text=other).wait_for()
            assert problems == [], problems
        finally:
            await browser.close()
