"""Listings that stay true (Japan's Employment Security Act, 2022): each posting states
the date it is current as of; where a site asks, one unconfirmed for too long leaves
search, the sitemap and partner feeds by itself, after a reminder to its company."""

from __future__ import annotations

from datetime import datetime

import pytest

from jobgraph.jobs.postings import remind_unconfirmed
from tests.conftest import database_name, error_code
from tests.support.employers import employer_of

JOB = "query($id: ID!) { job(id: $id) { title currentAsOf publishedAt expiresAt } }"
CONFIRM = "mutation($id: ID!) { confirmJob(id: $id) { currentAsOf } }"


async def test_a_posting_states_when_it_was_last_confirmed(api):
    employer = await employer_of(api, "jobboard")
    job_id = await employer.post(title="Ferry mechanic")
    job = (await api.data(JOB, {"id": job_id}, tenant="jobboard"))["job"]
    assert job["currentAsOf"] == job["publishedAt"] and job["expiresAt"] > job["publishedAt"]
    edited = await api.data(
        'mutation($id: ID!) { updateJob(id: $id, patch: {title: "Ferry engineer"}) '
        "{ currentAsOf } }",
        {"id": job_id},
        tenant="jobboard",
        token=employer.token,
    )
    assert edited["updateJob"]["currentAsOf"] > job["currentAsOf"]
    confirmed = await api.data(CONFIRM, {"id": job_id}, tenant="jobboard", token=employer.token)
    assert confirmed["confirmJob"]["currentAsOf"] > edited["updateJob"]["currentAsOf"]
    draft = await employer.post(publish=False, title="Draft")
    refused = await api.graphql(CONFIRM, {"id": draft}, tenant="jobboard", token=employer.token)
    assert error_code(refused) == "BAD_USER_INPUT"


@pytest.fixture
async def strict(database, serve, reconfigure):
    """The job board asks its postings to be confirmed every 30 days."""
    await reconfigure({"jobboard": {"policy": {"confirm_listings_every_days": 30}}})
    async with serve(database) as api:
        yield api


async def confirmed_days_ago(database_server, database, job_id: str, days: int) -> None:
    await database_server.execute(
        f"UPDATE job_postings SET published_at = now() - interval '{days} days', "
        f"confirmed_at = now() - interval '{days} days' WHERE id = '{job_id}'",
        database_name(database),
    )


async def test_an_unconfirmed_listing_leaves_search_until_confirmed(
    strict, database_server, database
):
    employer = await employer_of(strict, "jobboard")
    job_id = await employer.post(title="Lighthouse keeper")
    search = """{ jobs(search: "Lighthouse keeper", first: 5) { totalCount } }"""
    assert (await strict.data(search, tenant="jobboard"))["jobs"]["totalCount"] == 1

    await confirmed_days_ago(database_server, database, job_id, 31)
    assert (await strict.data(search, tenant="jobboard"))["jobs"]["totalCount"] == 0
    assert (await strict.data(JOB, {"id": job_id}, tenant="jobboard"))["job"] is None

    confirmed = await strict.data(CONFIRM, {"id": job_id}, tenant="jobboard", token=employer.token)
    assert datetime.fromisoformat(confirmed["confirmJob"]["currentAsOf"]).date() == (
        datetime.now().astimezone().date()
    )
    assert (await strict.data(search, tenant="jobboard"))["jobs"]["totalCount"] == 1


async def test_its_company_is_reminded_a_week_before_once(strict, database_server, database):
    employer = await employer_of(strict, "jobboard")
    soon = await employer.post(title="Soon stale")
    fresh = await employer.post(title="Fresh")
    await confirmed_days_ago(database_server, database, soon, 25)
    services = strict.app.state.services
    registry = await services.registry.current()
    queued = await remind_unconfirmed(services.sessions, registry)
    assert queued >= 1
    assert await remind_unconfirmed(services.sessions, registry) == 0  # once
    rows = await database_server.fetch(
        "SELECT recipient, subject, body FROM notifications WHERE kind = 'LISTING_REMINDER'",
        database_name(database),
    )
    mine = [row for row in rows if "Soon stale" in row["subject"]]
    assert [row["recipient"] for row in mine] == ["employer@jobboard.test"]
    assert "leaves search on" in mine[0]["body"]
    assert not any("Fresh" in row["subject"] for row in rows), fresh


async def test_a_main_sites_stale_listing_leaves_its_partners_too(
    strict, database_server, database
):
    employer = await employer_of(strict, "jobboard")
    job_id = await employer.post(title="Osaka lighthouse keeper", prefecture="Osaka")
    search = """{ jobs(search: "Osaka lighthouse keeper", first: 5) { totalCount } }"""
    assert (await strict.data(search, tenant="kansai-jobs"))["jobs"]["totalCount"] == 1
    await confirmed_days_ago(database_server, database, job_id, 31)
    # The partner sets no period of its own: its main site's holds for the main site's.
    assert (await strict.data(search, tenant="kansai-jobs"))["jobs"]["totalCount"] == 0
