"""The embeddable job search, <jobgraph-search>, in a real Chromium on a partner's page:
one script tag and one element, results in the site's branding and language, facets,
paging, the keyboard, and a clear message for a refused origin or a bad key."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.support.accounts import admin_token
from tests.support.browser import (
    CHROMIUM_FLAGS,
    OUTPUT,
    accessibility_violations,
    chromium_path,
    listening,
)

PAGE = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Partner jobs</title>
<script type="module" src="{script}"></script>
<jobgraph-search site-key="{key}"{attributes}></jobgraph-search>
</html>"""


# A partner's own markup for each result (data-job names what goes where).
TEMPLATE_PAGE = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Partner jobs</title>
<script type="module" src="{script}"></script>
<jobgraph-search site-key="{key}" lang="en"><template>
  <article class="card"><h3><a data-job="link"><span data-job="title"></span></a></h3>
  <p class="company" data-job="company"></p><p data-job="place"></p></article>
</template></jobgraph-search>
</html>"""


async def test_the_widget_searches_from_a_partners_page(api, database, unmetered):
    """One visitor's scripted minute of searching, in a few seconds: more than a person's
    cost budget allows (tests/test_budget.py holds the budget), so the sites' are raised."""
    from playwright.async_api import async_playwright

    token = await admin_token(api, "kansai-jobs")
    created = (
        await api.data(
            'mutation { createSiteKey(name: "widget") { id key } }',
            tenant="kansai-jobs",
            token=token,
        )
    )["createSiteKey"]
    key, key_id = created["key"], created["id"]
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
            "mutation($o: [String!]!, $t: String) { updateTenantPolicy(changes: "
            "{api: {allowed_origins: $o}, job_url_template: $t}) { settings { version } } }",
            {"o": [allowed], "t": "https://jobs.kansai-partner.test/jobs/{id}"},
            tenant="kansai-jobs",
            token=token,
        )
        script = f"http://kansai.jobboard.localhost:{port}/widget/jobgraph-search.js"
        pages["jobs.html"] = PAGE.format(script=script, key=key, attributes="")
        pages["stale.html"] = PAGE.format(script=script, key="pk_revoked0000", attributes="")
        pages["template.html"] = TEMPLATE_PAGE.format(script=script, key=key)
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
            answered: list[str] = []  # each search's answer, by its media type
            page.on(
                "response",
                lambda response: (
                    answered.append(response.headers.get("content-type", ""))
                    if response.request.method == "POST"
                    else None
                ),
            )
            await page.goto(f"{allowed}/jobs.html")
            widget = page.locator("jobgraph-search")
            results = widget.locator("li")
            await results.nth(9).wait_for(timeout=15_000)
            status = widget.locator('[role="status"]')
            # The site's language (ja-JP) and colours, whatever the partner page's; the count
            # and facets follow the results, in a later part of the same answer (@defer).
            await status.filter(has_text="件の求人").wait_for()
            assert answered[0].startswith("multipart/mixed"), answered
            primary = await widget.evaluate("w => w.style.getPropertyValue('--primary')")
            assert primary == "#7a1f3d"
            total = int((await status.text_content()).split()[0])
            # Each result links to the posting's page on the site.
            link = results.first.locator("a")
            assert (await link.get_attribute("href")).startswith(
                "https://jobs.kansai-partner.test/jobs/"
            )
            await page.screenshot(path=OUTPUT / "widget.png")
            assert await accessibility_violations(page, "jobgraph-search") == []

            await widget.locator("button.more").focus()
            await page.keyboard.press("Enter")  # the next page, appended
            await results.nth(19).wait_for()
            focused = await widget.evaluate("w => w.shadowRoot.activeElement.textContent")
            assert focused == await results.nth(10).locator("a").text_content(), (
                "focus moves to the first of the results the button added"
            )

            # Facets in the page's language: prefectures in kanji, categories by label.
            prefectures = widget.locator('.facets button[data-facet^="prefecture:"]')
            assert "府" in await prefectures.first.text_content() or "県" in (
                await prefectures.first.text_content()
            )
            categories = widget.locator('.facets button[data-facet^="categories:"]')
            labels = await categories.all_text_contents()
            assert labels and not any(label.split(" (")[0].isupper() for label in labels), labels
            facet = categories.first
            label = await facet.text_content()
            await facet.focus()
            await page.keyboard.press("Enter")
            pressed = widget.locator('.facets button[aria-pressed="true"]')
            await pressed.wait_for()
            count = int(label.rsplit("(", 1)[1].rstrip(")"))
            await status.filter(has_text=f"{count} ").wait_for()
            assert count < total
            assert (
                await widget.evaluate(
                    "w => w.shadowRoot.activeElement.getAttribute('aria-pressed')"
                )
                == "true"
            ), "focus stays on the facet pressed"
            chip = widget.locator(".chips button[data-chip]")
            assert await chip.count() == 1 and label.split(" (")[0] in await chip.text_content()

            # A search finding nothing keeps the active filter, to be removed; its chip's
            # button removes it and focus goes back to the search field.
            await widget.locator("input").focus()
            await page.keyboard.type("zzqxnotajob")
            await page.keyboard.press("Enter")
            await status.filter(has_text="条件に合う求人はありません").wait_for()
            assert await results.count() == 0
            assert await widget.locator("input").get_attribute("aria-label") == "求人を検索"
            assert await chip.count() == 1
            await chip.click()
            await widget.locator(".chips").wait_for(state="hidden")
            assert await widget.evaluate("w => w.shadowRoot.activeElement.type") == "search"

            # A word nothing contains is dropped, and the visitor is told so.
            await widget.locator("input").fill("engineer zzqxnotajob")
            await page.keyboard.press("Enter")
            notice = widget.locator(".notice")
            await notice.filter(has_text="zzqxnotajob").wait_for()
            assert "engineer" in await notice.text_content()
            assert await results.count() > 0
            # A misspelling finds nothing, and the respelling is offered as a button.
            await widget.locator("input").fill("enginer")
            await page.keyboard.press("Enter")
            respelled = notice.get_by_role("button", name="engineer")
            await respelled.wait_for()
            assert (await notice.text_content()).startswith("もしかして")
            await respelled.click()
            await results.first.wait_for()
            assert await widget.locator("input").input_value() == "engineer"
            assert await notice.is_hidden()

            await page.goto(f"{allowed}/english.html")
            await results.nth(9).wait_for(timeout=15_000)
            assert (await status.text_content()).endswith(" jobs")
            assert await widget.locator("input").get_attribute("aria-label") == "Search jobs"
            osaka = widget.locator('.facets button[data-facet="prefecture:Osaka"]')
            assert (await osaka.text_content()).startswith("Osaka (")
            assert (await results.first.locator("a").get_attribute("href")).startswith(
                "https://jobs.kansai-partner.test/jobs/"
            )
            await osaka.click()  # a pressed facet and its chip, checked too
            english_chip = widget.locator(".chips button[data-chip]")
            await english_chip.wait_for()
            assert await english_chip.text_content() == "Osaka ×"
            assert await english_chip.get_attribute("aria-label") == "Remove the filter Osaka"
            assert (
                await widget.evaluate("w => w.shadowRoot.activeElement.dataset.facet")
                == "prefecture:Osaka"
            )
            assert await accessibility_violations(page, "jobgraph-search") == []
            await widget.locator("input").fill("engineer zzqxnotajob")
            await page.keyboard.press("Enter")
            await notice.filter(has_text="without “zzqxnotajob”").wait_for()

            # The partner's own markup for a result, from a <template> in the element.
            await page.goto(f"{allowed}/template.html")
            cards = widget.locator("article.card")
            await cards.nth(9).wait_for(timeout=15_000)
            first = cards.first
            assert (await first.locator("h3 a").get_attribute("href")).startswith(
                "https://jobs.kansai-partner.test/jobs/"
            )
            assert await first.locator("h3 a").text_content()
            assert await first.locator("p.company").text_content()

            # A key revoked while the page is open: the message replaces the results.
            await page.goto(f"{allowed}/jobs.html")
            await results.nth(9).wait_for(timeout=15_000)
            await api.data(
                "mutation($id: ID!) { revokeSiteKey(id: $id) { id } }",
                {"id": key_id},
                tenant="kansai-jobs",
                token=token,
            )
            await widget.locator("form button").click()
            await status.filter(has_text="サイトキーが無効です").wait_for()
            assert await results.count() == 0

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
