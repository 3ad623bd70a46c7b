"""Tenants for tests: a partner site made through the operator API, and copies of the
tests' tenant files to edit."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import TEST_SETTINGS

TOKYO_PARTNER = {
    "slug": "tokyo-jobs",
    "name": "Tokyo Jobs",
    "hostnames": ["tokyo.jobboard.localhost"],
    "parent": "jobboard",
    "branding": {"site_name": "Tokyo Jobs"},
    "policy": {"resume_visibilities": ["PRIVATE"]},
}


async def create_tenant(api, operator: str, config: dict) -> dict:
    return await api.data(
        "mutation($c: JSON!) { createTenant(config: $c) { settings { slug version source } } }",
        {"c": config},
        tenant="jobboard",
        token=operator,
    )


def copy_of_the_test_tenants(directory: Path) -> Path:
    """``directory`` holding a copy of the tests' tenant files (those synced into every
    test database)."""
    directory.mkdir(exist_ok=True)
    for path in TEST_SETTINGS.tenants_dir.glob("*.toml"):
        shutil.copy(path, directory / path.name)
    return directory


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))
