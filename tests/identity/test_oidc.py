"""A tenant that trusts its own OpenID Connect provider: the suite generates the provider's
keys and serves its JWKS over real HTTP on this machine."""

import time

import pytest
from joserfc.jwk import RSAKey

from tests.conftest import database_name, error_code

ME = "{ me { id email fullName } }"


@pytest.fixture
async def oidc_api(provider, database, serve, reconfigure):
    oidc = {
        "issuer": provider.issuer,
        "audience": "jobboard-web",
        "jwks_uri": f"{provider.issuer}/jwks.json",
        "algorithms": ["RS256"],
    }
    await reconfigure({"jobboard": {"auth": {"oidc": oidc}}})
    async with serve(database) as api:
        yield api


async def test_a_provider_token_signs_in_and_maps_to_one_local_account(oidc_api, provider):
    first = (await oidc_api.data(ME, tenant="jobboard", token=provider.token()))["me"]
    assert first["email"] == "ext.user@example.org" and first["fullName"] == "Ext User"
    again = (await oidc_api.data(ME, tenant="jobboard", token=provider.token()))["me"]
    assert again["id"] == first["id"]
    assert provider.requests == 1, "the provider's keys are cached"


async def test_the_account_a_first_sign_in_makes_is_kept_whatever_its_request_does(
    oidc_api, provider, database, database_server
):
    # The proof's own transaction commits the new account before the query runs: a query
    # the schema refuses does not take it back.
    refused = await oidc_api.graphql(
        "{ me { noSuchField } }", tenant="jobboard", token=provider.token()
    )
    assert error_code(refused) == "GRAPHQL_VALIDATION_FAILED", refused
    [(accounts,)] = await database_server.fetch(
        "SELECT count(*) FROM accounts WHERE email = 'ext.user@example.org'",
        database_name(database),
    )
    assert accounts == 1


async def test_provider_tokens_are_checked_like_our_own(oidc_api, provider):
    impostor = RSAKey.generate_key(2048, parameters={"kid": "provider-1"})
    cases = {
        "signature is not valid": provider.token(key=impostor),
        "another site": provider.token(aud="someone-else"),
        "has expired": provider.token(exp=int(time.time()) - 600),
    }
    for message, token in cases.items():
        response = await oidc_api.post(ME, tenant="jobboard", token=token)
        assert response.status_code == 401, message
        assert message in response.json()["errors"][0]["message"]


async def test_an_unverified_address_cannot_take_over_an_existing_account(oidc_api, provider):
    token = provider.token(sub="ext-999", email="seeker1@jobboard.test")
    response = await oidc_api.post(ME, tenant="jobboard", token=token)
    assert response.status_code == 401
    verified = provider.token(sub="ext-999", email="seeker1@jobboard.test", email_verified=True)
    me = (await oidc_api.data(ME, tenant="jobboard", token=verified))["me"]
    assert me["email"] == "seeker1@jobboard.test"


async def test_a_site_without_that_provider_refuses_its_tokens(oidc_api, provider):
    response = await oidc_api.post(ME, tenant="community", token=provider.token())
    assert response.status_code == 401
    assert error_code(response.json()) == "UNAUTHENTICATED"


async def test_staff_signed_in_by_the_provider_use_its_second_factor(oidc_api, provider):
    """Staff signing in through the site's provider have no session here to pass a second
    factor in: the provider's own (its `amr` claim) counts, and nothing else does."""
    admin = {"sub": "ext-admin", "email": "admin@jobboard.test", "email_verified": True}
    keys = "{ siteKeys { id } }"
    on_a_password = await oidc_api.graphql(
        keys, tenant="jobboard", token=provider.token(amr=["pwd"], **admin)
    )
    assert on_a_password["errors"][0]["extensions"]["reason"] == "SECOND_FACTOR_REQUIRED"
    with_otp = await oidc_api.graphql(
        keys, tenant="jobboard", token=provider.token(amr=["pwd", "otp"], **admin)
    )
    assert "errors" not in with_otp
