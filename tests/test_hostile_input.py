"""Input an attacker would send: each gets a clear refusal with a stable code, never a 500
or an INTERNAL error."""

import uuid

import pytest

from tests.conftest import error_code


async def test_deeply_nested_json_is_a_bad_request(api):
    body = "[" * 20_000 + "]" * 20_000
    response = await api.http.post(
        "/graphql",
        content=body,
        headers={"X-Tenant": "jobboard", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    message = response.json()["errors"][0]["message"]
    assert message == "The request nests JSON more than 32 levels deep."
    nested_variables = '{"query": "{ tenant { slug } }", "variables": {"a": ' + "[" * 20_000
    nested_variables += "]" * 20_000 + "}}"
    response = await api.http.post(
        "/graphql",
        content=nested_variables,
        headers={"X-Tenant": "jobboard", "Content-Type": "application/json"},
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($s: String) { jobs(search: $s) { totalCount } }", {"s": "caf\x00e"}),
        (
            "query($t: [String!]) { jobs(filter: {tags: $t}) { totalCount } }",
            {"t": ["a\x00"]},
        ),
        (
            'mutation($e: String!) { login(email: $e, password: "x") { accessToken } }',
            {"e": "seeker1@jobboard.test\x00"},
        ),
        (
            'mutation($p: String!) { login(email: "seeker1@jobboard.test", password: $p) '
            "{ accessToken } }",
            {"p": "pass\x00word"},
        ),
    ],
)
async def test_a_nul_byte_in_a_string_argument_is_bad_user_input(api, query, variables):
    body = await api.graphql(query, variables, tenant="jobboard")
    assert error_code(body) == "BAD_USER_INPUT", body
    assert "NUL" in body["errors"][0]["message"]


async def test_a_nul_byte_in_a_literal_is_bad_user_input_too(api):
    body = await api.graphql('{ jobs(search: "a\\u0000b") { totalCount } }', tenant="jobboard")
    assert error_code(body) == "BAD_USER_INPUT"


async def test_a_nul_client_id_on_the_token_endpoint_is_a_bad_request(api):
    response = await api.http.post(
        "/oauth/token",
        content="grant_type=client_credentials&client_id=%00&client_secret=x",
        headers={"X-Tenant": "jobboard", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_request", "invalid_client")


async def test_a_signed_token_whose_subject_is_not_an_id_is_refused(api):
    services = api.app.state.services
    account = {"pool": "jobboard", "typ": "account"}
    token = await services.tokens.issue(subject="not-a-uuid", audience="jobboard", extra=account)
    response = await api.post("{ tenant { slug } }", tenant="jobboard", token=token)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    session = await services.tokens.issue(
        subject=str(uuid.uuid4()), audience="jobboard", extra={**account, "sid": "x"}
    )
    assert (
        await api.post("{ tenant { slug } }", tenant="jobboard", token=session)
    ).status_code == 401


async def test_a_field_that_records_beside_one_that_reads_is_no_crash(api):
    # Found by the fuzz test: explainAccess (a query that writes its record) began its
    # transaction while `me` was still reading, which once expired `me`'s account.
    admin = (await api.staff_sign_in("admin@community.test", "community"))["accessToken"]
    body = await api.graphql(
        '{ me { email isTenantAdmin } explainAccess(seekerEmail: "seeker2@community.test", '
        'path: APPLICATION, purpose: "a support request") { note } }',
        tenant="community",
        token=admin,
    )
    assert body["data"]["me"]["email"] == "admin@community.test", body
    assert "errors" not in body or all(
        error["extensions"]["code"] != "INTERNAL" for error in body["errors"]
    ), body
