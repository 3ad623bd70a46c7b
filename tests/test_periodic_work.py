"""The periodic work runs by a schedule kept in PostgreSQL: `jobgraph worker` processes (as
many as one likes, beside serve processes) run each kind once at a time, and a worker
killed in the middle of sending a webhook loses it to another when its lease ends: the
receiver gets it again under the same webhook-id, and it is recorded delivered once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import asyncpg
import pytest
from standardwebhooks import Webhook

from jobgraph.settings import PROJECT_ROOT
from jobgraph.work.periodic import QUEUE_KINDS
from tests.support.accounts import admin_token
from tests.support.commands import jobgraph_command
from tests.support.employers import employer_of
from tests.support.servers import ServerOutput

KINDS = {"alerts", "mail", "posting-reminders", "resume-reminders", "webhooks"}
CHECKED = "the schedule was checked"
CREATE = """mutation($url: String!) { createWebhookEndpoint(url: $url,
  events: [POSTING_PUBLISHED]) { secret } }"""


def start_worker(database, **environment: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "jobgraph", "worker"],
        cwd=PROJECT_ROOT,
        env=os.environ
        | {
            "DATABASE_URL": database.admin,
            "JOBGRAPH_LOG_FORMAT": "json",
            "JOBGRAPH_LOG_LEVEL": "debug",
            "JOBGRAPH_WORK_POLL_S": "0.05",
            "JOBGRAPH_WEBHOOKS_ALLOW_PRIVATE": "true",
        }
        | environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(worker: subprocess.Popen, output: ServerOutput) -> str:
    """Stopped as a service manager stops it; everything it wrote."""
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=60)
    written = output.whole()
    assert worker.stdout is not None
    worker.stdout.close()
    assert worker.returncode == 0, written[-3000:]
    return written


async def schedule_of(database) -> dict[str, int]:
    connection = await asyncpg.connect(database.admin.replace("+asyncpg", ""))
    try:
        rows = await connection.fetch("SELECT name, runs FROM scheduled_work")
    finally:
        await connection.close()
    return {row["name"]: row["runs"] for row in rows}


async def test_two_workers_run_each_kind_of_periodic_work_once(api, database):
    hourly = {
        f"JOBGRAPH_{kind}_INTERVAL_S": "3600"
        for kind in ("MAIL", "WEBHOOKS", "ALERTS", "REMINDERS")
    }
    workers = [start_worker(database, **hourly) for _ in range(2)]
    outputs = [ServerOutput(worker) for worker in workers]
    try:
        # Each has looked at the schedule three times: whatever it could take, it took.
        for output in outputs:
            await asyncio.to_thread(output.until, CHECKED, 120, 3)
        assert await schedule_of(database) == {kind: 1 for kind in KINDS}
    finally:
        logs = [stop(worker, output) for worker, output in zip(workers, outputs, strict=True)]
    ran = [line for log in logs for line in log.splitlines() if '"work: mail: sent' in line]
    assert len(ran) == 1, "one process of the two sent the mail"


class HoldingReceiver:
    """An endpoint that holds its first request unanswered (its sender is then in the
    middle of a delivery) and answers every later one with 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append((dict(self.headers.items()), body))
                if len(receiver.received) == 1:
                    receiver.first_arrived.set()
                    receiver.release.wait(60)
                try:
                    self.send_response(200)
                    self.end_headers()
                except OSError:  # the sender is gone
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


async def test_a_delivery_whose_worker_was_killed_is_sent_by_another_once(api, database):
    receiver = HoldingReceiver()
    try:
        token = await admin_token(api, "kansai-jobs")
        created = await api.data(CREATE, {"url": receiver.url}, tenant="kansai-jobs", token=token)
        secret = created["createWebhookEndpoint"]["secret"]
        employer = await employer_of(api, "jobboard")
        await employer.post(title="Osaka baker", prefecture="Osaka")  # in kansai-jobs' feed
        # Only webhooks, each lease a second: the killed worker's hold ends soon.
        quick = {
            "JOBGRAPH_WEBHOOKS_INTERVAL_S": "0.05",
            "JOBGRAPH_WEBHOOKS_LEASE_S": "1",
            "JOBGRAPH_WORK_LEASE_S": "1",
            "JOBGRAPH_MAIL_INTERVAL_S": "0",
            "JOBGRAPH_ALERTS_INTERVAL_S": "0",
            "JOBGRAPH_REMINDERS_INTERVAL_S": "0",
        }
        first = start_worker(database, **quick)
        try:
            assert await asyncio.to_thread(receiver.first_arrived.wait, 120)
        finally:
            first.kill()  # SIGKILL, in the middle of the delivery
            first.communicate(timeout=60)
        second = start_worker(database, **quick)
        output = ServerOutput(second)
        try:
            await asyncio.to_thread(output.until, "1 delivered", 120)
            await asyncio.to_thread(output.until, CHECKED, 60, 5)
        finally:
            stop(second, output)
    finally:
        receiver.close()
    ids = [headers["webhook-id"] for headers, _body in receiver.received]
    assert len(ids) == 2 and ids[0] == ids[1], "the same message again, once more"
    assert Webhook(secret).verify(receiver.received[1][1], receiver.received[1][0])
    deliveries = await api.data(
        "query { webhookEndpoints { id } }", tenant="kansai-jobs", token=token
    )
    [endpoint] = deliveries["webhookEndpoints"]
    listed = await api.data(
        "query($id: ID!) { webhookDeliveries(endpointId: $id) { status attempts } }",
        {"id": endpoint["id"]},
        tenant="kansai-jobs",
        token=token,
    )
    # One delivery, recorded once, its lost attempt counted.
    assert listed["webhookDeliveries"] == [{"status": "DELIVERED", "attempts": 2}]


async def test_readyz_tells_what_waits_to_be_sent_and_how_old_it_is(api, database):
    from tests.support.accounts import register

    await register(api, "jobboard", "waiting@example.org")  # a confirmation, queued
    work = (await api.http.get("/readyz")).json()["work"]
    assert work["queues"]["mail"]["queued"] == 1
    assert work["queues"]["mail"]["oldestSeconds"] >= 0
    assert work["queues"]["webhooks"] == {"queued": 0, "oldestSeconds": 0.0}


@pytest.mark.parametrize(
    ("command", "says"),
    [
        (["alerts", "run"], ["alerts: ", "mail: sent"]),
        (["webhooks", "deliver"], ["webhooks: ", "expired postings announced; 0 delivered"]),
        (["postings", "remind"], ["posting-reminders: ", "mail: sent"]),
        (["reminders", "run"], ["resume-reminders: ", "mail: sent"]),
        (["notifications", "send"], ["mail: sent"]),
    ],
)
async def test_each_kind_also_runs_once_as_a_command_of_its_own(database, command, says, tmp_path):
    """The one-off commands run the same kinds in a process of their own (every table
    loaded: a command that knew only some would fail on their foreign keys)."""
    result = await jobgraph_command(database, *command, JOBGRAPH_MAIL_DIR=str(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert all(said in output for said in says), output


def test_operations_md_states_each_queues_guarantee_and_retry_schedule_as_the_code_has_them():
    manual = (PROJECT_ROOT / "docs" / "operations.md").read_text()
    for kind in QUEUE_KINDS:
        row = f"| `{kind.name}` | {kind.guarantee} | {kind.schedule()} |"
        assert row in manual, f"operations.md should have the row {row}"
