"""Access-token verification: every forged or stale token is refused with a clear
UNAUTHENTICATED, and key rotation logs nobody out."""

import asyncio
import base64
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

from tests.conftest import LOGIN, TEST_SETTINGS, database_name, error_code

ME = "{ me { email } }"


def b64(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


async def signing_key(api) -> ECKey:
    return await api.app.state.services.tokens.keyring.signing_key()


async def valid_claims(api, email="seeker1@jobboard.test", tenant="jobboard") -> dict:
    token = (await api.sign_in(email, tenant))["accessToken"]
    return jwt.decode(token, await signing_key(api), algorithms=["ES256"]).claims


async def refused(api, token: str, tenant: str = "jobboard") -> str:
    response = await api.post(ME, tenant=tenant, token=token)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert error_code(response.json()) == "UNAUTHENTICATED"
    return response.json()["errors"][0]["message"]


async def forge(api, claims: dict, **header) -> str:
    key = await signing_key(api)
    return jwt.encode({"alg": "ES256", "kid": key.kid, **header}, claims, key, algorithms=["ES256"])


async def test_a_genuine_token_is_accepted(api):
    token = await forge(api, await valid_claims(api))
    assert (await api.data(ME, tenant="jobboard", token=token))["me"]["email"]


async def test_alg_none_is_refused(api):
    claims = await valid_claims(api)
    token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    assert "algorithm 'none' is not accepted" in await refused(api, token)


async def test_an_hmac_token_keyed_with_the_public_key_is_refused(api):
    claims = await valid_claims(api)
    public = (await api.http.get("/.well-known/jwks.json")).json()["keys"][0]
    secret = OctKey.import_key(json.dumps(public).encode())
    token = jwt.encode({"alg": "HS256", "kid": public["kid"]}, claims, secret, algorithms=["HS256"])
    assert "algorithm 'HS256' is not accepted" in await refused(api, token)


async def test_a_token_signed_by_another_key_is_refused(api):
    claims = await valid_claims(api)
    key = await signing_key(api)
    impostor = ECKey.generate_key("P-256", parameters={"kid": key.kid})
    token = jwt.encode({"alg": "ES256", "kid": key.kid}, claims, impostor, algorithms=["ES256"])
    assert "signature is not valid" in await refused(api, token)


async def test_a_token_of_one_site_is_refused_on_another(api):
    token = (await api.sign_in("seeker1@jobboard.test", "jobboard"))["accessToken"]
    assert "another site" in await refused(api, token, tenant="community")
    # Same pool, other tenant: still another site's token.
    assert "another site" in await refused(api, token, tenant="kansai-jobs")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"exp": -120}, "has expired"),
        ({"nbf": 600}, "not valid yet"),
        ({"iss": "https://evil.example"}, "issuer this site does not trust"),
        ({"aud": "community"}, "another site"),
    ],
)
async def test_stale_or_foreign_claims_are_refused(api, change, message):
    claims = await valid_claims(api)
    for name, value in change.items():
        claims[name] = int(time.time()) + value if isinstance(value, int) else value
    assert message in await refused(api, await forge(api, claims))


async def test_small_clock_skew_is_tolerated(api):
    claims = await valid_claims(api)
    claims["exp"] = int(time.time()) - 10
    claims["nbf"] = int(time.time()) + 10
    assert (await api.data(ME, tenant="jobboard", token=await forge(api, claims)))["me"]


async def test_a_token_without_a_subject_is_refused(api):
    claims = await valid_claims(api)
    del claims["sub"]
    assert "lacks the 'sub' claim" in await refused(api, await forge(api, claims))


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "", "e30.e30.", "Basic abc"])
async def test_malformed_credentials_are_refused_not_crashed(api, token):
    response = await api.post(ME, tenant="jobboard", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert error_code(response.json()) == "UNAUTHENTICATED"


async def test_a_non_bearer_scheme_is_refused_with_advice(api):
    response = await api.post(ME, tenant="jobboard", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401
    assert "Bearer" in response.json()["errors"][0]["message"]


async def test_key_rotation_keeps_old_tokens_valid_and_publishes_both_keys(api):
    old_token = (await api.sign_in("seeker2@jobboard.test", "jobboard"))["accessToken"]
    old_kid = (await signing_key(api)).kid
    new_kid = await api.app.state.services.tokens.keyring.rotate()
    assert new_kid != old_kid

    published = {
        key["kid"] for key in (await api.http.get("/.well-known/jwks.json")).json()["keys"]
    }
    assert {old_kid, new_kid} <= published
    keys = (await api.http.get("/.well-known/jwks.json")).json()["keys"]
    assert all("d" not in key for key in keys), "a private part leaked into the JWKS"

    assert (await api.data(ME, tenant="jobboard", token=old_token))["me"]
    new_token = (await api.sign_in("seeker2@jobboard.test", "jobboard"))["accessToken"]
    header = json.loads(base64.urlsafe_b64decode(new_token.split(".")[0] + "=="))
    assert header["kid"] == new_kid


async def test_another_process_sees_a_rotated_key(api, database, serve):
    await api.app.state.services.tokens.keyring.signing_key()
    async with serve(database) as other:
        new_kid = await other.app.state.services.tokens.keyring.rotate()
        token = (await other.sign_in("seeker3@jobboard.test", "jobboard"))["accessToken"]
    # The first process has never seen new_kid: it re-reads the keys when a token names it.
    assert (await api.data(ME, tenant="jobboard", token=token))["me"]
    published = {
        key["kid"] for key in (await api.http.get("/.well-known/jwks.json")).json()["keys"]
    }
    assert new_kid in published


async def test_login_errors_never_echo_the_password(api):
    body = await api.graphql(
        LOGIN,
        {"email": "seeker1@jobboard.test", "password": "my-secret-attempt"},
        tenant="jobboard",
    )
    assert "my-secret-attempt" not in json.dumps(body)


async def test_access_tokens_state_subject_site_roles_and_key(api):
    token = (await api.sign_in("employer@jobboard.test", "jobboard"))["accessToken"]
    key = await signing_key(api)
    decoded = jwt.decode(token, key, algorithms=["ES256"])
    assert decoded.header["kid"] == key.kid and decoded.header["alg"] == "ES256"
    claims = decoded.claims
    assert claims["aud"] == "jobboard" and claims["pool"] == "jobboard"
    assert claims["iss"] == "jobgraph" and claims["sub"]
    assert claims["roles"] == ["SEEKER", "EMPLOYER"]
    assert claims["exp"] - claims["iat"] == 900


async def test_a_fresh_service_publishes_its_signing_key_from_the_first_request(
    database, database_server, serve
):
    await database_server.execute("DELETE FROM signing_keys", database_name(database))
    async with serve(database) as api:
        keys = (await api.http.get("/.well-known/jwks.json")).json()["keys"]
        assert [key["kty"] for key in keys] == ["EC"]
        # The first token is signed with that very key.
        token = (await api.sign_in("seeker1@jobboard.test", "jobboard"))["accessToken"]
        assert jwt.decode(token, ECKey.import_key(keys[0]), algorithms=["ES256"])


async def test_processes_starting_together_make_one_first_key(database, database_server):
    from jobgraph.db.engine import create_engine, session_factory
    from jobgraph.identity.keys import KeyRing

    await database_server.execute("DELETE FROM signing_keys", database_name(database))
    engines = [create_engine(database.app, TEST_SETTINGS) for _ in range(4)]
    try:
        rings = [KeyRing(session_factory(engine), TEST_SETTINGS) for engine in engines]
        await asyncio.gather(*(ring.ensure() for ring in rings))
        kids = {(await ring.signing_key()).kid for ring in rings}
    finally:
        for engine in engines:
            await engine.dispose()
    assert len(kids) == 1
    admin = await database_server.admin(database_name(database))
    try:
        assert await admin.fetchval("SELECT count(*) FROM signing_keys") == 1
    finally:
        await admin.close()
