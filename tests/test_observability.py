"""Structured request logs and metrics, and what must never be in the logs."""

import json
import logging

from jobgraph.demo import DEMO_PASSWORD
from jobgraph.observability import JsonFormatter
from tests.support.disclosure import APPLICANTS, applied


async def test_each_request_gets_an_id_a_log_line_and_metrics(api, caplog):
    caplog.set_level(logging.INFO, logger="jobgraph.requests")
    response = await api.post(
        "query Branding { tenant { slug } }",
        tenant="jobboard",
        headers={"X-Request-Id": "partner-req-000123"},
    )
    assert response.headers["x-request-id"] == "partner-req-000123"
    odd = await api.post(
        "{ tenant { slug } }", tenant="jobboard", headers={"X-Request-Id": "bad id with spaces"}
    )
    assert odd.headers["x-request-id"] != "bad id with spaces"
    line = json.loads(
        JsonFormatter().format(
            next(
                record
                for record in caplog.records
                if getattr(record, "request_id", "") == "partner-req-000123"
            )
        )
    )
    assert line["tenant"] == "jobboard" and line["operation"] == "Branding"
    assert line["status"] == 200 and line["outcome"] == "ok" and line["duration_ms"] >= 0

    deep = (
        "{ jobs(first: 50) { edges { node { similarJobs(first: 50) { company { "
        "openJobs(first: 50) { id } } } } } } }"
    )
    await api.post(deep, tenant="jobboard")
    metrics = await read_metrics(api)
    # Labelled by the root field, not by the name the client chose.
    assert (
        'jobgraph_requests_total{operation="query.tenant",outcome="ok",tenant="jobboard"} 2.0'
        in metrics
    )
    assert "Branding" not in metrics
    assert 'jobgraph_rejected_queries_total{reason="cost"} 1.0' in metrics
    assert "jobgraph_request_duration_seconds_bucket" in metrics
    assert "jobgraph_db_pool_checked_out" in metrics


async def read_metrics(api) -> str:
    response = await api.http.get(
        "/metrics", headers={"Authorization": "Bearer test-metrics-token"}
    )
    assert response.status_code == 200
    return response.text


async def test_metrics_answer_only_the_operators_token(api):
    for headers in ({}, {"Authorization": "Bearer guess"}, {"Authorization": "test-metrics-token"}):
        refused = await api.http.get("/metrics", headers=headers)
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "jobgraph_" not in refused.text


async def test_client_chosen_operation_names_make_no_new_series(api):
    before = (await read_metrics(api)).count("jobgraph_requests_total{")
    for number in range(40):
        await api.post(f"query Random{number} {{ tenant {{ slug }} }}", tenant="jobboard")
    metrics = await read_metrics(api)
    assert metrics.count("jobgraph_requests_total{") == before + 1
    assert 'operation="query.tenant",outcome="ok",tenant="jobboard"} 40.0' in metrics


async def test_logs_of_a_whole_flow_hold_no_personal_data_or_secrets(api, caplog):
    caplog.set_level(logging.DEBUG)
    employer, job_id, _, seeker = await applied(api, "jobboard", 25)
    await api.data(APPLICANTS, {"j": job_id}, tenant="jobboard", token=employer.token)
    await api.graphql(
        'mutation { login(email: "seeker25@jobboard.test", password: '
        '"wrong-password-25") { accessToken } }',
        tenant="jobboard",
    )
    await api.graphql("{ tenant { nope } }", tenant="jobboard")
    formatter = JsonFormatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert logged, "the flow was logged"
    for value in (
        "+81-90-0000-0025",
        "seeker25@jobboard.test",
        "Last Employer jobboard 25",
        DEMO_PASSWORD,
        "wrong-password-25",
        employer.token,
        seeker,
    ):
        assert value not in logged, value
