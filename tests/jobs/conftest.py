"""Helpers for the jobs tests: an employer of a demo tenant posting jobs through the API, and
the partner site with job pages (its postings for search engines and aggregators)."""

import pytest

from tests.support.employers import Employer, employer_of
from tests.support.partners import JOB_PAGES, PARTNER


@pytest.fixture
async def employer(api) -> Employer:
    return await employer_of(api, "jobboard")


@pytest.fixture
async def partner(database, serve, reconfigure):
    """The app, with the partner site's job pages configured."""
    await reconfigure({PARTNER: {"policy": {"job_url_template": JOB_PAGES}}})
    async with serve(database) as api:
        yield api
