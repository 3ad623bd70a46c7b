"""Tenant administration through the API: who may change what, validation that rejects a
change whole, the history and restore, changes seen by another process on its next
request, and tightened policies applied to the data already held."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from jobgraph.db.engine import create_engine, session_factory
from jobgraph.graphql.hooks import tenancy_hooks
from jobgraph.tenancy.files import TenantConfigError, load_tenant_dir
from jobgraph.tenancy.sync import export_tenants, sync_tenants
from tests.conftest import DEMO_PASSWORD, TEST_SETTINGS, database_name, error_code
from tests.support.accounts import admin_token
from tests.support.commands import jobgraph_command
from tests.support.tenants import TOKYO_PARTNER, copy_of_the_test_tenants, create_tenant, edit

SETTINGS = "query($slug: String) { tenantSettings(slug: $slug) { slug version source config } }"
BRANDING = """mutation($b: BrandingInput!, $slug: String, $v: Int, $note: String) {
  updateTenantBranding(branding: $b, slug: $slug, expectedVersion: $v, note: $note) {
    settings { version source config } changes { key before after }
  }
}"""
POLICY = """mutation($c: JSON!, $slug: String) {
  updateTenantPolicy(changes: $c, slug: $slug) {
    settings { version } changes { key before after } resumesMadeLessVisible
  }
}"""
HISTORY = """query($slug: String) {
  tenantHistory(slug: $slug) { version source actor note changes { key before after } }
}"""
RESTORE = """mutation($v: Int!) {
  restoreTenantVersion(version: $v) { settings { version config } changes { key } }
}"""
SITE = "{ tenant { branding { siteName primaryColor } publicPolicy { resumeVisibilities } } }"


async def test_an_admin_rebrands_their_site_and_the_next_request_shows_it(api):
    token = await admin_token(api, "jobboard")
    before = (await api.data(SETTINGS, tenant="jobboard", token=token))["tenantSettings"]
    changed = (
        await api.data(
            BRANDING,
            {"b": {"siteName": "Job Board Japan", "primaryColor": "#123456"}, "note": "rebrand"},
            tenant="jobboard",
            token=token,
        )
    )["updateTenantBranding"]
    assert changed["settings"]["version"] == before["version"] + 1
    assert changed["settings"]["source"] == "API"
    assert {c["key"]: (c["before"], c["after"]) for c in changed["changes"]} == {
        "branding.primary_color": (before["config"]["branding"]["primary_color"], "#123456"),
        "branding.site_name": (before["config"]["branding"]["site_name"], "Job Board Japan"),
    }
    site = await api.data(SITE, tenant="jobboard")
    assert site["tenant"]["branding"] == {"siteName": "Job Board Japan", "primaryColor": "#123456"}


async def test_a_change_is_seen_by_another_app_instance_once_announced(api, serve, database):
    other = serve(database)
    async with other as second:
        assert (await second.data(SITE, tenant="community"))["tenant"]["branding"][
            "siteName"
        ] == "Nihon Community Jobs"
        token = await admin_token(api, "community")
        announced = second.app.state.services.registry.next_announcement()
        await api.data(
            BRANDING, {"b": {"siteName": "Community Jobs"}}, tenant="community", token=token
        )
        await asyncio.wait_for(announced, 10)  # PostgreSQL tells every listening process
        seen = await second.data(SITE, tenant="community")
        assert seen["tenant"]["branding"]["siteName"] == "Community Jobs"


async def test_an_admin_of_one_tenant_cannot_read_or_change_another(api):
    token = await admin_token(api, "community")
    for query, variables in (
        (SETTINGS, {"slug": "jobboard"}),
        (BRANDING, {"b": {"siteName": "Hijacked"}, "slug": "jobboard"}),
        (POLICY, {"c": {"invitations_enabled": False}, "slug": "jobboard"}),
        (HISTORY, {"slug": "jobboard"}),
    ):
        refused = await api.graphql(query, variables, tenant="community", token=token)
        assert error_code(refused) == "FORBIDDEN", query
    # Nor through the other tenant's hostname: there the account is no admin (and no
    # account at all: the community pool's accounts do not exist on the job board).
    refused = await api.graphql(BRANDING, {"b": {"siteName": "X"}}, tenant="jobboard", token=token)
    assert error_code(refused) in ("UNAUTHENTICATED", "FORBIDDEN")
    employer = (await api.sign_in("employer@jobboard.test", "jobboard"))["accessToken"]
    refused = await api.graphql(
        BRANDING, {"b": {"siteName": "X"}}, tenant="jobboard", token=employer
    )
    assert error_code(refused) == "FORBIDDEN"
    site = await api.data(SITE, tenant="jobboard")
    assert site["tenant"]["branding"]["siteName"] != "Hijacked"


async def test_an_operator_changes_any_tenant_and_creates_a_partner_site(api):
    operator = await api.operator_token("community")
    await api.data(
        BRANDING, {"b": {"locale": "ja"}, "slug": "jobboard"}, tenant="community", token=operator
    )
    partner = TOKYO_PARTNER | {
        "policy": {"resume_visibilities": ["PRIVATE"], "feed": {"prefectures": ["Tokyo"]}}
    }
    created = await create_tenant(api, operator, partner)
    assert created["createTenant"]["settings"] == {
        "slug": "tokyo-jobs",
        "version": 1,
        "source": "API",
    }
    partner = await api.data(
        "{ tenant { slug parentSlug branding { locale } } }", host="tokyo.jobboard.localhost"
    )
    assert partner["tenant"] == {
        "slug": "tokyo-jobs",
        "parentSlug": "jobboard",
        "branding": {"locale": "en"},
    }
    main = await api.data("{ tenant { branding { locale } } }", tenant="jobboard")
    assert main["tenant"]["branding"]["locale"] == "ja"


async def test_a_partner_cannot_be_set_to_disclose_more_than_its_main_site(api):
    token = await admin_token(api, "kansai-jobs")
    before = (await api.data(SETTINGS, tenant="kansai-jobs", token=token))["tenantSettings"]
    refused = await api.graphql(
        POLICY,
        {
            "c": {
                "resume_visibilities": ["PRIVATE", "SEARCHABLE", "PUBLIC"],
                "public_profile_fields": ["SKILLS"],
            }
        },
        tenant="kansai-jobs",
        token=token,
    )
    assert error_code(refused) == "BAD_USER_INPUT"
    problems = refused["errors"][0]["extensions"]["problems"]
    assert {
        "key": "policy.resume_visibilities",
        "rule": "a partner site cannot allow what its main site does not: PUBLIC",
    } in problems
    assert refused["errors"][0]["extensions"]["field"] == problems[0]["key"]
    after = (await api.data(SETTINGS, tenant="kansai-jobs", token=token))["tenantSettings"]
    assert after == before


async def test_wrong_types_are_refused_and_every_problem_is_named_at_once(api):
    token = await admin_token(api, "community")
    before = (await api.data(SETTINGS, tenant="community", token=token))["tenantSettings"]
    refused = await api.graphql(
        POLICY,
        {
            "c": {
                "invitations_enabled": "no",  # a string is no boolean
                "statistics_min_cell": "30",  # nor a number
                "signup_requires_full_name": 1,  # nor is 1 true
                "public_profile_fields": ["SKILLS", "PHONE"],  # the platform floor
                "colour": "red",  # no such key
            }
        },
        tenant="community",
        token=token,
    )
    assert error_code(refused) == "BAD_USER_INPUT"
    problems = {p["key"]: p["rule"] for p in refused["errors"][0]["extensions"]["problems"]}
    assert problems == {
        "policy.invitations_enabled": "Input should be a valid boolean",
        "policy.statistics_min_cell": "Input should be a valid integer",
        "policy.signup_requires_full_name": "Input should be a valid boolean",
        "policy.colour": "unknown key",
        "policy.public_profile_fields": "may never include PHONE: the platform never shows "
        "contact details on public profiles",
    }
    assert "(and 4 more problem(s))" in refused["errors"][0]["message"]
    after = (await api.data(SETTINGS, tenant="community", token=token))["tenantSettings"]
    assert after == before


async def test_a_main_site_cannot_tighten_below_its_partner_sites(api):
    token = await admin_token(api, "jobboard")
    refused = await api.graphql(
        POLICY, {"c": {"resume_visibilities": ["PRIVATE"]}}, tenant="jobboard", token=token
    )
    assert error_code(refused) == "BAD_USER_INPUT"
    assert "tighten 'kansai-jobs' first" in refused["errors"][0]["message"]


async def test_an_invalid_change_is_rejected_whole_naming_each_key_and_rule(api):
    token = await admin_token(api, "community")
    before = (await api.data(SETTINGS, tenant="community", token=token))["tenantSettings"]
    refused = await api.graphql(
        POLICY,
        {
            "c": {
                "invitations_enabled": True,  # valid on its own: must not land either
                "api": {"max_page_size": 1000},  # above the ceiling
                "statistics_min_cell": 1,
                "colour": "red",
            }
        },
        tenant="community",
        token=token,
    )
    assert error_code(refused) == "BAD_USER_INPUT"
    problems = {p["key"]: p["rule"] for p in refused["errors"][0]["extensions"]["problems"]}
    assert problems["policy.api.max_page_size"] == "Input should be less than or equal to 100"
    assert problems["policy.colour"] == "unknown key"
    assert problems["policy.statistics_min_cell"].startswith("Input should be greater than")
    assert "Nothing was changed" in refused["errors"][0]["message"]
    floor = await api.graphql(
        POLICY,
        {"c": {"public_profile_fields": ["SKILLS", "PHONE"]}},
        tenant="community",
        token=token,
    )
    assert floor["errors"][0]["extensions"]["problems"] == [
        {
            "key": "policy.public_profile_fields",
            "rule": "may never include PHONE: the platform never shows contact details on "
            "public profiles",
        }
    ]
    branding = await api.graphql(
        BRANDING, {"b": {"primaryColor": "green"}}, tenant="community", token=token
    )
    assert branding["errors"][0]["extensions"]["field"] == "branding.primary_color"
    after = (await api.data(SETTINGS, tenant="community", token=token))["tenantSettings"]
    assert after == before


async def test_a_stale_expected_version_is_a_conflict(api):
    token = await admin_token(api, "community")
    version = (await api.data(SETTINGS, tenant="community", token=token))["tenantSettings"][
        "version"
    ]
    await api.data(BRANDING, {"b": {"locale": "ja"}, "v": version}, tenant="community", token=token)
    stale = await api.graphql(
        BRANDING, {"b": {"locale": "en"}, "v": version}, tenant="community", token=token
    )
    assert error_code(stale) == "CONFLICT"
    assert f"since version {version}" in stale["errors"][0]["message"]


async def test_history_lists_every_change_and_restore_brings_a_version_back(api):
    token = await admin_token(api, "community")
    await api.data(
        BRANDING, {"b": {"siteName": "One"}, "note": "first"}, tenant="community", token=token
    )
    await api.data(
        BRANDING, {"b": {"siteName": "Two", "supportEmail": None}}, tenant="community", token=token
    )
    history = (await api.data(HISTORY, tenant="community", token=token))["tenantHistory"]
    assert [h["version"] for h in history] == [3, 2, 1]
    assert history[0]["changes"] == [
        {"key": "branding.site_name", "before": "One", "after": "Two"},
        {"key": "branding.support_email", "before": "contact@community-jobs.test", "after": None},
    ]
    assert history[1]["note"] == "first" and history[1]["actor"].startswith("account:")
    assert history[2]["source"] == "FILE"
    # The first version lists what the tenant started with, key by key.
    first = {change["key"]: change for change in history[2]["changes"]}
    assert first["branding.site_name"] == {
        "key": "branding.site_name",
        "before": None,
        "after": "Nihon Community Jobs",
    }
    assert all(change["key"] and change["before"] is None for change in first.values())

    restored = (await api.data(RESTORE, {"v": 1}, tenant="community", token=token))[
        "restoreTenantVersion"
    ]
    assert restored["settings"]["version"] == 4
    assert restored["settings"]["config"]["branding"]["site_name"] == "Nihon Community Jobs"
    assert {c["key"] for c in restored["changes"]} == {
        "branding.site_name",
        "branding.support_email",
    }
    site = await api.data(SITE, tenant="community")
    assert site["tenant"]["branding"]["siteName"] == "Nihon Community Jobs"
    missing = await api.graphql(RESTORE, {"v": 99}, tenant="community", token=token)
    assert error_code(missing) == "NOT_FOUND"


async def test_withdrawing_public_profiles_makes_existing_public_resumes_private(
    api, database, database_server
):
    public_before = (
        await api.data("{ publicProfiles(first: 30) { fullName } }", tenant="community")
    )["publicProfiles"]
    assert public_before
    token = await admin_token(api, "community")
    changed = (
        await api.data(
            POLICY,
            {
                "c": {
                    "resume_visibilities": ["PRIVATE"],
                    "default_resume_visibility": "PRIVATE",
                    "public_profile_fields": None,
                }
            },
            tenant="community",
            token=token,
        )
    )["updateTenantPolicy"]
    assert changed["resumesMadeLessVisible"] >= len(public_before)
    refused = await api.graphql("{ publicProfiles(first: 30) { fullName } }", tenant="community")
    assert refused.get("data") is None or not refused["data"]["publicProfiles"]

    connection = await database_server.admin(database_name(database))
    try:
        await connection.execute("SELECT set_config('jobgraph.pool', 'community', false)")
        public_left = await connection.fetchval(
            "SELECT count(*) FROM resumes WHERE visibility = 'PUBLIC'"
        )
        told = await connection.fetchval(
            "SELECT count(*) FROM notifications WHERE kind = 'POLICY_CHANGE'"
        )
    finally:
        await connection.close()
    assert public_left == 0
    assert told == changed["resumesMadeLessVisible"]
    seeker = (await api.sign_in("seeker1@community.test", "community", DEMO_PASSWORD))[
        "accessToken"
    ]
    mine = await api.data("{ myResume { visibility } }", tenant="community", token=seeker)
    assert mine["myResume"]["visibility"] == "PRIVATE"


async def _with_session(urls, work):
    engine = create_engine(urls.app, TEST_SETTINGS)
    try:
        async with session_factory(engine)() as session:
            return await work(session)
    finally:
        await engine.dispose()


async def _sync(database, directory: Path, **options):
    files = load_tenant_dir(directory)
    return await _with_session(
        database, lambda session: sync_tenants(session, files, hooks=tenancy_hooks(), **options)
    )


async def test_a_file_edit_is_applied_beside_an_api_change_of_another_key(api, database, tmp_path):
    """An admin renames the site through the API; the file's author changes its colour:
    the server starting (and `tenants sync`) applies the colour, keeps the name, and says
    whose change the name is; the export then writes the name into the file, keeping the
    colour, and the next sync finds nothing to do."""
    files = copy_of_the_test_tenants(tmp_path)
    token = await admin_token(api, "community")
    await api.data(BRANDING, {"b": {"siteName": "Changed Online"}}, tenant="community", token=token)
    edit(files / "community.toml", 'primary_color = "#2e7d32"', 'primary_color = "#000000"')

    async with api.announced():
        at_start = await _sync(database, files, at_start=True)
    assert at_start.updated == ["community"]
    said = str(at_start)
    assert "community.toml: branding.site_name: kept the site's value" in said, said
    assert "the site says 'Changed Online'" in said and "by admin@community" in said, said
    site = await api.data("{ tenant { branding { siteName primaryColor } } }", tenant="community")
    assert site["tenant"]["branding"] == {"siteName": "Changed Online", "primaryColor": "#000000"}

    again = await _sync(database, files)  # the standalone command: nothing left to decide
    assert sorted(again.unchanged) == ["community", "jobboard", "kansai-jobs"]
    assert again.kept == ["community"], "the site's own change is still named"

    await _with_session(
        database,
        lambda session: export_tenants(session, files, hooks=tenancy_hooks(), hand_back=True),
    )
    written = (files / "community.toml").read_text()
    assert 'site_name = "Changed Online"' in written and 'primary_color = "#000000"' in written
    after_export = await _sync(database, files)
    assert sorted(after_export.unchanged) == ["community", "jobboard", "kansai-jobs"]
    assert after_export.kept == [] and "kept" not in str(after_export)


async def test_a_key_changed_by_both_waits_for_a_choice(api, database, tmp_path):
    """The admin and the file's author both rename the site: `tenants sync` (its own
    process) stops, naming the key, both values, who changed it and the two choices; the
    server starting keeps the site's name and reports the conflict each time until the
    choice is made; the export will not overwrite the file's edit; --take-file applies it."""
    files = copy_of_the_test_tenants(tmp_path)
    token = await admin_token(api, "community")
    await api.data(BRANDING, {"b": {"siteName": "Changed Online"}}, tenant="community", token=token)
    edit(files / "community.toml", 'site_name = "Nihon Community Jobs"', 'site_name = "In File"')

    refused = await jobgraph_command(database, "tenants", "sync", JOBGRAPH_TENANTS_DIR=str(files))
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert (
        "community.toml: branding.site_name: the file says 'In File', the site says "
        "'Changed Online' (set by admin@community" in refused.stderr
    )
    assert "--take-file" in refused.stderr and "--take-site" in refused.stderr

    for _ in range(2):  # the conflict is not forgotten by being reported once
        at_start = await _sync(database, files, at_start=True)
        assert "community.toml: branding.site_name: CONFLICT" in str(at_start), str(at_start)
    site = await api.data(SITE, tenant="community")
    assert site["tenant"]["branding"]["siteName"] == "Changed Online"

    exported = await jobgraph_command(
        database, "tenants", "export", JOBGRAPH_TENANTS_DIR=str(files)
    )
    assert exported.returncode == 1 and "branding.site_name" in exported.stderr
    assert "--take-site" in exported.stderr
    assert 'site_name = "In File"' in (files / "community.toml").read_text()

    async with api.announced():
        taken = await jobgraph_command(
            database, "tenants", "sync", "--take-file", JOBGRAPH_TENANTS_DIR=str(files)
        )
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert "updated: community" in taken.stdout
    history = (await api.data(HISTORY, tenant="community", token=token))["tenantHistory"]
    assert history[0]["actor"] == "file:community.toml"
    assert history[0]["changes"] == [
        {"key": "branding.site_name", "before": "Changed Online", "after": "In File"}
    ]
    site = await api.data(SITE, tenant="community")
    assert site["tenant"]["branding"]["siteName"] == "In File"
    assert (await _sync(database, files)).kept == []


async def test_taking_the_site_keeps_its_value_and_the_export_writes_it(api, database, tmp_path):
    files = copy_of_the_test_tenants(tmp_path)
    token = await admin_token(api, "community")
    await api.data(BRANDING, {"b": {"siteName": "Changed Online"}}, tenant="community", token=token)
    edit(files / "community.toml", 'site_name = "Nihon Community Jobs"', 'site_name = "In File"')
    with pytest.raises(TenantConfigError, match="--take-file"):
        await _sync(database, files)

    taken = await _sync(database, files, take="site")
    assert sorted(taken.unchanged) == ["community", "jobboard", "kansai-jobs"]
    assert (await _sync(database, files)).kept == ["community"], "no conflict any more"
    await _with_session(
        database,
        lambda session: export_tenants(session, files, hooks=tenancy_hooks(), hand_back=True),
    )
    assert 'site_name = "Changed Online"' in (files / "community.toml").read_text()


async def test_an_export_elsewhere_is_a_copy_that_hands_nothing_back(api, database, tmp_path):
    files = copy_of_the_test_tenants(tmp_path / "files")
    token = await admin_token(api, "community")
    await api.data(BRANDING, {"b": {"siteName": "Changed Online"}}, tenant="community", token=token)
    elsewhere = tmp_path / "copy"
    written = await _with_session(
        database,
        lambda session: export_tenants(session, elsewhere, hooks=tenancy_hooks(), hand_back=False),
    )
    assert sorted(path.name for path in written) == [
        "community.toml",
        "jobboard.toml",
        "kansai-jobs.toml",
    ]
    assert 'site_name = "Changed Online"' in (elsewhere / "community.toml").read_text()
    # The unchanged files still name the site's change as the site's, and keep it.
    report = await _sync(database, files)
    assert report.kept == ["community"]
    site = await api.data(SITE, tenant="community")
    assert site["tenant"]["branding"]["siteName"] == "Changed Online"


async def test_postgresql_refuses_another_tenants_change_if_the_application_let_it_through(
    api, monkeypatch
):
    from jobgraph.tenancy import schema as admin_schema

    # The application's check, switched off: the database's must still hold.
    monkeypatch.setattr(
        admin_schema, "_target", lambda info, slug: slug or info.context.tenant.slug
    )
    token = await admin_token(api, "community")
    before = await api.data(SITE, tenant="jobboard")
    body = await api.graphql(
        BRANDING,
        {"b": {"siteName": "Hijacked"}, "slug": "jobboard"},
        tenant="community",
        token=token,
    )
    assert body.get("errors"), body
    assert await api.data(SITE, tenant="jobboard") == before


async def test_a_tenant_stored_before_a_key_existed_syncs_as_unchanged(
    api, database, database_server
):
    connection = await database_server.admin(database_name(database))
    try:
        await connection.execute(
            "UPDATE tenants SET config = config #- '{policy,employer_console}' "
            "WHERE slug = 'jobboard'"
        )
    finally:
        await connection.close()
    files = load_tenant_dir(TEST_SETTINGS.tenants_dir)
    report = await _with_session(
        database, lambda session: sync_tenants(session, files, hooks=tenancy_hooks())
    )
    assert sorted(report.unchanged) == ["community", "jobboard", "kansai-jobs"]
    token = await admin_token(api, "jobboard")
    history = (await api.data(HISTORY, tenant="jobboard", token=token))["tenantHistory"]
    assert [h["version"] for h in history] == [1]


async def test_a_file_setting_a_key_its_stored_site_predates_is_applied(
    database, database_server, tmp_path
):
    """A site stored before the model had a key (and before sync remembered its file) has
    that key at its default: a file that sets it is an edit to apply, not a conflict."""
    connection = await database_server.admin(database_name(database))
    try:
        await connection.execute(
            "UPDATE tenants SET config = config #- '{policy,api,cost_budget}', "
            "file_config = NULL WHERE slug = 'jobboard'"
        )
    finally:
        await connection.close()
    files = copy_of_the_test_tenants(tmp_path)
    edit(files / "jobboard.toml", "[policy.api]", "[policy.api]\ncost_budget = 50000")
    report = await _sync(database, files)
    assert report.updated == ["jobboard"] and report.kept == [], str(report)


async def test_an_export_over_a_file_keeps_its_comments_and_changes_only_what_changed(
    api, database, tmp_path
):
    for path in TEST_SETTINGS.tenants_dir.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    original = (tmp_path / "community.toml").read_text()
    token = await admin_token(api, "community")
    await api.data(BRANDING, {"b": {"siteName": "Kept Comments"}}, tenant="community", token=token)
    await _with_session(
        database,
        lambda session: export_tenants(session, tmp_path, hooks=tenancy_hooks(), hand_back=False),
    )
    exported = (tmp_path / "community.toml").read_text()
    comments = [line for line in original.splitlines() if line.lstrip().startswith("#")]
    assert comments and all(line in exported for line in comments)
    assert 'site_name = "Kept Comments"' in exported
    # Only that line differs from the file as its author wrote it.
    changed = set(original.splitlines()) ^ set(exported.splitlines())
    assert changed == {'site_name = "Nihon Community Jobs"', 'site_name = "Kept Comments"'}
    reloaded = {config.slug: config for config in load_tenant_dir(tmp_path)}
    assert reloaded["community"].branding.site_name == "Kept Comments"
