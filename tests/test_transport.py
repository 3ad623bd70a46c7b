"""GraphQL over HTTP: media types and status codes, JSON-only POSTs, bounded bodies, GET for
queries only and only where the tenant allows it."""

from tests.conftest import error_code

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def test_graphql_response_json_when_accepted_with_spec_status_codes(api):
    ok = await api.http.post(
        "/graphql",
        json={"query": "{ tenant { slug } }"},
        headers={"X-Tenant": "jobboard", "Accept": GRAPHQL_RESPONSE},
    )
    assert ok.status_code == 200 and ok.headers["content-type"] == GRAPHQL_RESPONSE
    invalid = await api.http.post(
        "/graphql",
        json={"query": "{ tenant { nope } }"},
        headers={"X-Tenant": "jobboard", "Accept": GRAPHQL_RESPONSE},
    )
    assert invalid.status_code == 400
    assert "data" not in invalid.json()
    assert error_code(invalid.json()) == "GRAPHQL_VALIDATION_FAILED"
    # A field error during execution is still a 200 with its data entry.
    field_error = await api.http.post(
        "/graphql",
        json={"query": "{ me { email } }"},
        headers={"X-Tenant": "jobboard", "Accept": GRAPHQL_RESPONSE},
    )
    assert field_error.status_code == 200 and "data" in field_error.json()


async def test_plain_json_clients_keep_status_200(api):
    invalid = await api.http.post(
        "/graphql", json={"query": "{ tenant { nope } }"}, headers={"X-Tenant": "jobboard"}
    )
    assert invalid.status_code == 200
    assert invalid.headers["content-type"].startswith("application/json")


async def test_a_form_post_cannot_reach_a_mutation(api):
    for content_type, body in (
        ("application/x-www-form-urlencoded", "query=mutation+%7B+logout+%7D"),
        ("multipart/form-data; boundary=x", "--x\r\n"),
        ("text/plain", '{"query": "mutation { logout }"}'),
    ):
        response = await api.http.post(
            "/graphql", content=body, headers={"X-Tenant": "jobboard", "Content-Type": content_type}
        )
        assert response.status_code == 415, content_type
        assert error_code(response.json()) == "BAD_USER_INPUT"


async def test_a_body_over_the_limit_is_refused(api):
    huge = '{"query": "{ tenant { slug } }", "pad": "' + "x" * 70_000 + '"}'
    response = await api.http.post(
        "/graphql",
        content=huge,
        headers={"X-Tenant": "jobboard", "Content-Type": "application/json"},
    )
    assert response.status_code == 413


async def test_get_carries_queries_only_where_the_tenant_allows(api):
    params = {"query": "{ tenant { slug } }"}
    allowed = await api.http.get("/graphql", params=params, headers={"X-Tenant": "jobboard"})
    assert allowed.status_code == 200 and allowed.json()["data"]["tenant"]["slug"] == "jobboard"
    refused = await api.http.get("/graphql", params=params, headers={"X-Tenant": "community"})
    assert refused.status_code == 405
    mutation = await api.http.get(
        "/graphql", params={"query": "mutation { logout }"}, headers={"X-Tenant": "jobboard"}
    )
    assert mutation.status_code == 405
    assert "POST" in mutation.json()["errors"][0]["message"]


async def test_batches_and_broken_json_get_a_graphql_shaped_400(api):
    batch = await api.http.post(
        "/graphql", json=[{"query": "{ tenant { slug } }"}] * 2, headers={"X-Tenant": "jobboard"}
    )
    assert batch.status_code == 400
    assert "one operation per request" in batch.json()["errors"][0]["message"]
    broken = await api.http.post(
        "/graphql",
        content="{not json",
        headers={"X-Tenant": "jobboard", "Content-Type": "application/json"},
    )
    assert broken.status_code == 400 and error_code(broken.json()) == "BAD_USER_INPUT"


async def test_a_request_past_its_time_is_stopped_with_a_clean_503(database, serve, monkeypatch):
    from tests.conftest import TEST_SETTINGS

    monkeypatch.setattr(TEST_SETTINGS, "request_timeout_s", 0.000001)
    async with serve(database) as api:
        response = await api.post("{ jobs(first: 50) { totalCount } }", tenant="jobboard")
    assert response.status_code == 503
    assert error_code(response.json()) == "SERVICE_UNAVAILABLE"
    assert "took longer" in response.json()["errors"][0]["message"]


async def test_a_full_process_sheds_load_with_a_quick_503(database, serve, monkeypatch):
    from tests.conftest import TEST_SETTINGS

    monkeypatch.setattr(TEST_SETTINGS, "max_concurrent_requests", 1)
    monkeypatch.setattr(TEST_SETTINGS, "queue_timeout_s", 0.05)
    async with serve(database) as api:
        shedding = api.app.state.services.shedding
        assert await shedding.acquire()  # one request's turn, held
        try:
            busy = await api.post("{ tenant { slug } }", tenant="jobboard")
        finally:
            shedding.release()
        again = await api.post("{ tenant { slug } }", tenant="jobboard")
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    assert error_code(busy.json()) == "SERVICE_UNAVAILABLE"
    assert again.status_code == 200


async def test_a_malformed_content_length_is_a_clear_400(api):
    response = await api.http.post(
        "/graphql",
        content=b'{"query": "{ tenant { slug } }"}',
        headers={
            "X-Tenant": "jobboard",
            "Content-Type": "application/json",
            "Content-Length": "lots",
        },
    )
    assert response.status_code == 400
    assert "Content-Length" in response.json()["errors"][0]["message"]


async def test_an_unknown_operation_name_is_a_graphql_error_not_plain_text(api):
    for accept, status, media_type in (
        (GRAPHQL_RESPONSE, 400, GRAPHQL_RESPONSE),
        ("application/json", 200, "application/json"),
    ):
        response = await api.http.post(
            "/graphql",
            json={"query": "query Mine { tenant { slug } }", "operationName": "Theirs"},
            headers={"X-Tenant": "jobboard", "Accept": accept},
        )
        assert response.status_code == status
        assert response.headers["content-type"].startswith(media_type)
        body = response.json()
        assert error_code(body) == "BAD_USER_INPUT"
        assert body["errors"][0]["message"].startswith('Unknown operation named "Theirs".')
