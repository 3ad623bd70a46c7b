"""Tenant files: the demo files are valid; every kind of bad file is reported with its file
name, key and what is wrong; and a bad directory changes nothing in the database."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from jobgraph.cli import main
from jobgraph.db.engine import create_engine, session_factory
from jobgraph.graphql.hooks import tenancy_hooks
from jobgraph.policy.describe import KINDS, policy_key_table, policy_keys
from jobgraph.settings import PROJECT_ROOT, get_settings
from jobgraph.tenancy.files import TenantConfigError, load_tenant_dir
from jobgraph.tenancy.models import TenantRow
from jobgraph.tenancy.sync import sync_tenants
from tests.conftest import TEST_SETTINGS
from tests.support.tenants import copy_of_the_test_tenants, edit

DEMO_DIR = PROJECT_ROOT / "tenants"


@pytest.fixture
def tenant_dir(tmp_path: Path) -> Path:
    return copy_of_the_test_tenants(tmp_path)


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(TenantConfigError) as raised:
        load_tenant_dir(directory)
    return [str(problem) for problem in raised.value.problems]


def test_the_demo_tenant_files_are_valid_and_parents_come_first():
    configs = load_tenant_dir(DEMO_DIR)
    slugs = [config.slug for config in configs]
    assert set(slugs) == {"jobboard", "kansai-jobs", "community"}
    assert slugs.index("jobboard") < slugs.index("kansai-jobs")


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "community.toml",
            'locale = "en"',
            'locale = "en"\ncolour_scheme = "dark"',
            "community.toml: branding.colour_scheme: unknown key",
        ),
        (
            "jobboard.toml",
            "max_page_size = 50",
            'max_page_size = "fifty"',
            "jobboard.toml: policy.api.max_page_size: Input should be a valid integer",
        ),
        (
            "jobboard.toml",
            "max_page_size = 50",
            "max_page_size = 5000",
            "jobboard.toml: policy.api.max_page_size: Input should be less than or equal to 100",
        ),
        (
            "kansai-jobs.toml",
            'parent = "jobboard"',
            'parent = "mainsite"',
            "kansai-jobs.toml: parent: unknown parent tenant 'mainsite'",
        ),
        (
            "community.toml",
            '"community.localhost"',
            '"jobboard.localhost"',
            "jobboard.toml: hostnames[0]: 'jobboard.localhost' is also a hostname of "
            "community.toml",
        ),
        (
            "community.toml",
            '"FULL_NAME", "BIRTH_DATE", "NATIONALITY", "RESIDENCE_COUNTRY", '
            '"VISA_STATUS", "LANGUAGES",\n  "EDUCATION", "WORK_HISTORY", "LAST_EMPLOYER", '
            '"SKILLS", "HOBBIES",\n]\napplication',
            '"FULL_NAME", "PHONE",\n]\napplication',
            "community.toml: policy.public_profile_fields: may never include PHONE",
        ),
        (
            "kansai-jobs.toml",
            'resume_visibilities = ["PRIVATE", "SEARCHABLE"]',
            'resume_visibilities = ["PRIVATE", "SEARCHABLE", "PUBLIC"]',
            "kansai-jobs.toml: policy.resume_visibilities: a partner site cannot allow what its "
            "main site does not: PUBLIC",
        ),
        (
            "kansai-jobs.toml",
            'third_party_disclosure = "LAW_ONLY"',
            'third_party_disclosure = "CONSENT_OR_LAW"',
            "kansai-jobs.toml: policy.third_party_disclosure: a partner site cannot allow "
            "CONSENT_OR_LAW",
        ),
        (
            "jobboard.toml",
            'default_resume_visibility = "PRIVATE"',
            'default_resume_visibility = "PUBLIC"',
            "jobboard.toml: policy.default_resume_visibility: must be one of resume_visibilities",
        ),
        (
            "jobboard.toml",
            'slug = "jobboard"',
            'slug = "job board"',
            "jobboard.toml: slug: String should match pattern",
        ),
        ("community.toml", "[branding]", "[branding", "community.toml: (syntax): not valid TOML"),
        # Strict types: a string is no boolean or number, a number no boolean.
        (
            "jobboard.toml",
            "invitations_enabled = true",
            'invitations_enabled = "no"',
            "jobboard.toml: policy.invitations_enabled: Input should be a valid boolean",
        ),
        (
            "jobboard.toml",
            "statistics_min_cell = 5",
            'statistics_min_cell = "7"',
            "jobboard.toml: policy.statistics_min_cell: Input should be a valid integer",
        ),
        (
            "jobboard.toml",
            "signup_requires_full_name = false",
            "signup_requires_full_name = 1",
            "jobboard.toml: policy.signup_requires_full_name: Input should be a valid boolean",
        ),
    ],
)
def test_a_bad_file_is_reported_with_file_key_and_reason(tenant_dir, file, old, new, expected):
    edit(tenant_dir / file, old, new)
    problems = problems_of(tenant_dir)
    assert any(problem.startswith(expected) for problem in problems), problems


def test_a_feed_policy_on_a_main_site_is_refused(tenant_dir):
    edit(
        tenant_dir / "jobboard.toml",
        "[policy.api]",
        "[policy.feed]\nprefectures = []\n\n[policy.api]",
    )
    assert any(
        "jobboard.toml: policy.feed: applies only to a partner site" in problem
        for problem in problems_of(tenant_dir)
    )


def test_a_partner_of_a_partner_is_refused(tenant_dir):
    text = (tenant_dir / "kansai-jobs.toml").read_text()
    text = text.replace('slug = "kansai-jobs"', 'slug = "kobe-jobs"')
    text = text.replace('parent = "jobboard"', 'parent = "kansai-jobs"')
    text = text.replace('"kansai.jobboard.localhost", "jobs.kansai-partner.test"', '"kobe.test"')
    (tenant_dir / "kobe-jobs.toml").write_text(text)
    assert any(
        "kobe-jobs.toml: parent: 'kansai-jobs' is itself a partner site" in problem
        for problem in problems_of(tenant_dir)
    )


def test_all_problems_are_reported_at_once(tenant_dir):
    edit(tenant_dir / "community.toml", 'locale = "en"', 'locale = "english"')
    edit(tenant_dir / "jobboard.toml", "max_page_size = 50", "max_page_size = 0")
    problems = problems_of(tenant_dir)
    assert any(problem.startswith("community.toml: branding.locale") for problem in problems)
    assert any(
        problem.startswith("jobboard.toml: policy.api.max_page_size") for problem in problems
    )


def test_validate_command_exits_1_naming_file_and_key(tenant_dir):
    edit(tenant_dir / "community.toml", 'locale = "en"', 'locale = "en"\nfont = "serif"')
    result = CliRunner().invoke(main, ["tenants", "validate", str(tenant_dir)])
    assert result.exit_code == 1
    assert "community.toml: branding.font: unknown key" in result.output


def test_validate_command_accepts_the_demo_files():
    result = CliRunner().invoke(main, ["tenants", "validate", str(DEMO_DIR)])
    assert result.exit_code == 0, result.output
    assert "3 tenant file(s) valid" in result.output


async def _registry_rows(urls) -> dict[str, TenantRow]:
    engine = create_engine(urls.app, TEST_SETTINGS)
    try:
        async with session_factory(engine)() as session:
            return {row.slug: row for row in (await session.scalars(select(TenantRow))).all()}
    finally:
        await engine.dispose()


async def _sync(urls, directory: Path):
    engine = create_engine(urls.app, TEST_SETTINGS)
    try:
        async with session_factory(engine)() as session:
            return await sync_tenants(session, load_tenant_dir(directory), hooks=tenancy_hooks())
    finally:
        await engine.dispose()


async def test_sync_is_idempotent_and_versions_changes(database, tenant_dir):
    report = await _sync(database, tenant_dir)
    assert sorted(report.unchanged) == ["community", "jobboard", "kansai-jobs"]

    edit(tenant_dir / "community.toml", 'primary_color = "#2e7d32"', 'primary_color = "#000000"')
    report = await _sync(database, tenant_dir)
    assert report.updated == ["community"]
    rows = await _registry_rows(database)
    assert rows["community"].version == 2
    assert rows["community"].config["branding"]["primary_color"] == "#000000"
    assert rows["kansai-jobs"].pool_id == "jobboard"


async def test_a_bad_directory_leaves_the_database_unchanged(database, tenant_dir):
    before = await _registry_rows(database)
    edit(tenant_dir / "community.toml", 'primary_color = "#2e7d32"', 'primary_color = "#000000"')
    edit(tenant_dir / "jobboard.toml", "[branding]", "[branding]\nmotto = 'typo'")
    with pytest.raises(TenantConfigError):
        await _sync(database, tenant_dir)
    after = await _registry_rows(database)
    assert {slug: (row.version, row.config) for slug, row in after.items()} == {
        slug: (row.version, row.config) for slug, row in before.items()
    }


async def test_moving_a_tenant_to_another_pool_is_refused_whole(database, tenant_dir):
    before = await _registry_rows(database)
    (tenant_dir / "kansai-jobs.toml").write_text(
        'slug = "kansai-jobs"\nname = "Kansai"\nhostnames = ["kansai.jobboard.localhost"]\n'
        'parent = "community"\n[branding]\nsite_name = "Kansai"\n[policy]\n'
        'resume_visibilities = ["PRIVATE"]\napplication_disclosed_fields = ["EMAIL"]\n'
        'invitations_enabled = false\ndata_uses = ["STATISTICS"]\n'
    )
    load_tenant_dir(tenant_dir)  # valid as a file, within community's rules: only the move
    edit(tenant_dir / "jobboard.toml", 'primary_color = "#1f4e79"', 'primary_color = "#111111"')
    with pytest.raises(TenantConfigError, match="another pool"):
        await _sync(database, tenant_dir)
    after = await _registry_rows(database)
    assert after["jobboard"].config == before["jobboard"].config


def test_serve_refuses_to_start_on_a_bad_tenant_file(database, tenant_dir, monkeypatch):
    edit(tenant_dir / "jobboard.toml", "max_page_size = 50", "max_page_size = -1")
    monkeypatch.setenv("DATABASE_URL", database.admin)
    monkeypatch.setenv("JOBGRAPH_TENANTS_DIR", str(tenant_dir))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "jobboard.toml: policy.api.max_page_size: Input should be greater than" in result.output


def _every_key(entries):
    for entry in entries:
        yield entry
        yield from _every_key(entry.get("keys", ()))


@pytest.mark.parametrize("language", ["en", "ja"])
def test_every_policy_key_says_what_it_does_in_each_language(language):
    """The settings screen draws every key with its description: a key added to the model
    without one (``described()`` in policy/config.py) fails here."""
    undescribed = [e["key"] for e in _every_key(policy_keys(language)) if not e["description"]]
    assert undescribed == []
    assert {e["kind"] for e in _every_key(policy_keys(language))} <= set(KINDS)


def test_the_table_of_policy_keys_in_tenants_md_is_the_models():
    manual = (PROJECT_ROOT / "docs" / "tenants.md").read_text(encoding="utf-8")
    assert policy_key_table() in manual, (
        "docs/tenants.md's table of policy keys differs from the model: replace it with the "
        "output of `.venv/bin/python -c 'from jobgraph.policy.describe import policy_key_table; "
        "print(policy_key_table())'`"
    )
