"""The identity commands an operator runs: create operators, rotate signing keys."""

import asyncio

import pyotp
import pytest
from click.testing import CliRunner

from jobgraph.cli import main
from jobgraph.settings import get_settings
from tests.conftest import error_code


@pytest.fixture
def cli(database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database.admin)
    get_settings.cache_clear()
    yield lambda *args, **kwargs: CliRunner().invoke(main, list(args), **kwargs)
    get_settings.cache_clear()


async def test_an_operator_created_by_command_can_sign_in(cli, database, serve):
    result = await asyncio.to_thread(
        cli, "operators", "create", "ops@example.org", input="harbour-lights-2026\n" * 2
    )
    assert result.exit_code == 0, result.output
    assert "harbour-lights-2026" not in result.output
    secret = result.output.split("type the secret ")[1].split(".")[0]
    recovery_codes = result.output.split("instead of the app): ")[1].split()
    assert len(recovery_codes) == 10
    login = """mutation($c: String!) { operatorLogin(email: "OPS@example.org",
      password: "harbour-lights-2026", code: $c) { accessToken } }"""
    async with serve(database) as api:
        wrong = await api.graphql(login, {"c": "000000"}, tenant="community")
        assert error_code(wrong) == "BAD_USER_INPUT", "operators always need the second factor"
        body = await api.data(login, {"c": pyotp.TOTP(secret).now()}, tenant="community")
        token = body["operatorLogin"]["accessToken"]
        keys = await api.data("{ siteKeys { id } }", tenant="community", token=token)
    assert keys == {"siteKeys": []}


def test_a_weak_operator_password_is_refused(cli):
    result = cli("operators", "create", "ops@example.org", "--password", "short")
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output


async def test_keys_rotate_publishes_a_new_key(cli, database, serve):
    async with serve(database) as api:
        before = {
            key["kid"] for key in (await api.http.get("/.well-known/jwks.json")).json()["keys"]
        }
    result = await asyncio.to_thread(cli, "keys", "rotate")
    assert result.exit_code == 0, result.output
    kid = result.output.strip().splitlines()[-1].removeprefix("new signing key: ")
    async with serve(database) as api:
        after = {
            key["kid"] for key in (await api.http.get("/.well-known/jwks.json")).json()["keys"]
        }
    assert kid in after and before <= after
