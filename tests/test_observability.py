"""Structured request logs and metrics, and what must never be in the logs."""

import json
import logging

from jobgraph.demo import DEMO_PASSWORD
from jobgraph.observability import JsonFormatter
from tests.resumes.test_disclosure import APPLICANTS, applied


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
    metrics = (await api.http.get("/metrics")).text
    assert (
        'jobgraph_requests_total{operation="Branding",outcome="ok",tenant="jobboard"} 1.0'
        in metrics
    )
    assert 'jobgraph_rejected_queries_total{reason="cost"} 1.0' in metrics
    assert "jobgraph_request_duration_seconds_bucket" in metrics
    assert "jobgraph_db_pool_checked_out" in metrics


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
