"""Helpers for the jobs tests: an employer of a demo tenant posting jobs through the API."""

import pytest

from tests.support.employers import Employer, employer_of


@pytest.fixture
async def employer(api) -> Employer:
    return await employer_of(api, "jobboard")
