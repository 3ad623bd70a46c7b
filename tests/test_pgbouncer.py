"""PgBouncer in transaction mode between the service and PostgreSQL (Debian's pgbouncer,
JOBGRAPH_TRANSACTION_POOLING=true): requests of several tenants interleave on two server
connections, and row-level security, prepared statements and the timeouts hold; a restart
of PgBouncer is a clean error while it lasts."""

from __future__ import annotations

import asyncio
import collections
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from jobgraph.app import create_app
from jobgraph.db.embedded import server_user_name
from jobgraph.db.urls import DatabaseUrls
from tests.conftest import TEST_SETTINGS, Api, database_name, error_code
from tests.support.employers import employer_of
from tests.support.needs import skip_for_want_of
from tests.support.servers import free_port

SEARCH = "{ jobs(first: 20) { edges { node { id title company { name } } } } }"
_TIMEOUT = text("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")  # in ms
APPLY = "mutation($j: ID!) { applyToJob(jobId: $j) { id } }"
APPLICANTS = "query($j: ID!) { applicants(jobId: $j) { candidate { email } } }"
# A search whose results are not kept (a word no earlier request searched for): it reaches
# the database.
UNKEPT = "query($s: String) { jobs(first: 3, search: $s) { totalCount edges { node { id } } } }"
ME = "{ me { email } }"

pytestmark = pytest.mark.needs("pgbouncer")


def pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if found is None:
        skip_for_want_of(
            "pgbouncer", "Debian's pgbouncer is not installed (`make test` installs it as root)"
        )
    return found


class PgBouncer:
    """A PgBouncer in transaction mode with two server connections to the test database,
    on a port of its own, that a test can stop and start again."""

    def __init__(self, database: DatabaseUrls) -> None:
        self.binary = pgbouncer_binary()
        app = make_url(database.app)
        server = (
            f"host={app.query['host']}"
            if "host" in app.query
            else f"host={app.host} port={app.port or 5432}"
        )
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="jobgraph-pgbouncer-"))
        self.directory.chmod(0o755)  # PgBouncer runs as another user when we are root
        self.config = self.directory / "pgbouncer.ini"
        self.config.write_text(
            f"""[databases]
{app.database} = {server} dbname={app.database} user={app.username} password={app.password}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = 2
max_client_conn = 100
server_reset_query =
"""
        )
        self.config.chmod(0o644)
        # PgBouncer refuses to run as root. Beside the embedded server it runs as that
        # server's own user, the only one besides root that the server admits on its socket.
        self.run_as = None
        if os.geteuid() == 0:
            self.run_as = pwd.getpwnam(
                "nobody" if "host" not in app.query else server_user_name(TEST_SETTINGS.data_dir)
            )
        self.url = app.set(host="127.0.0.1", port=self.port, query={}).render_as_string(
            hide_password=False
        )
        self.process: subprocess.Popen | None = None
        self.draining: threading.Thread | None = None

    def start(self) -> None:
        self.process = process = subprocess.Popen(
            [self.binary, str(self.config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            user=self.run_as.pw_uid if self.run_as else None,
            group=self.run_as.pw_gid if self.run_as else None,
        )
        assert process.stdout is not None
        for line in process.stdout:  # its log says when it listens
            if "listening on" in line and str(self.port) in line:
                break
        else:
            pytest.fail(f"pgbouncer did not start (exit {process.wait()})")
        # Its log goes on (a line per client connection and more): read on, or PgBouncer
        # stops at a full pipe, and every request with it.
        self.draining = threading.Thread(target=collections.deque, args=(process.stdout, 0))
        self.draining.start()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        self.process.wait(timeout=30)
        if self.draining is not None:
            self.draining.join(timeout=30)  # to the end of its log
        assert self.process.stdout is not None
        self.process.stdout.close()
        self.process = self.draining = None


@pytest.fixture
def pgbouncer(database: DatabaseUrls) -> Iterator[PgBouncer]:
    """The test database through a PgBouncer of the test's own, started."""
    bouncer = PgBouncer(database)
    try:
        bouncer.start()
        yield bouncer
    finally:
        bouncer.stop()
        shutil.rmtree(bouncer.directory, ignore_errors=True)


async def test_tenants_interleave_on_two_server_connections_and_stay_apart(
    database, database_server, pgbouncer
):
    # Forty requests at once wait their turns (ten run at a time): on a busy machine a turn
    # can take longer than the half second after which a request is shed, which is load
    # shedding's own test, not this one's.
    settings = TEST_SETTINGS.model_copy(
        update={"transaction_pooling": True, "queue_timeout_s": 120.0}
    )
    app = create_app(settings, DatabaseUrls(admin=database.admin, app=pgbouncer.url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            api = Api(app, http)
            employer = await employer_of(api, "jobboard")
            job_id = await employer.post(title="Pooled harbour pilot")
            seeker = (await api.sign_in("seeker2@jobboard.test", "jobboard"))["accessToken"]
            await api.data(APPLY, {"j": job_id}, tenant="jobboard", token=seeker)

            # Forty requests of three sites at once, over two server connections: each
            # transaction sets its own pool, so no site sees another's postings.
            sites = ["jobboard", "community", "kansai-jobs"] * 12
            answers = await asyncio.gather(
                *(api.data(SEARCH, tenant=site) for site in sites),
                *(
                    api.data(APPLICANTS, {"j": job_id}, tenant="jobboard", token=employer.token)
                    for _ in range(4)
                ),
            )
        seen: dict[str, set[frozenset[str]]] = {site: set() for site in sites}
        for site, answer in zip(sites, answers, strict=False):
            seen[site].add(frozenset(edge["node"]["id"] for edge in answer["jobs"]["edges"]))
        assert all(len(pages) == 1 for pages in seen.values()), "each site's page, every time"
        pages = {site: next(iter(found)) for site, found in seen.items()}
        assert job_id in pages["jobboard"] and not pages["jobboard"] & pages["community"]
        for applicants in answers[len(sites) :]:
            assert applicants["applicants"] == [{"candidate": {"email": "seeker2@jobboard.test"}}]

        # Every transaction carries the service's timeouts, which a pooler does not
        # pass on at connection start.
        async with app.state.services.sessions() as session, session.begin():
            timeout = (await session.execute(_TIMEOUT)).scalar()
        assert timeout == str(settings.statement_timeout_ms)

    [(recorded,)] = await database_server.fetch(
        "SELECT count(*) FROM disclosures d JOIN accounts a ON a.id = d.subject_account_id "
        "WHERE a.email = 'seeker2@jobboard.test' AND d.reason = 'APPLICATION'",
        database_name(database),
    )
    assert recorded == 4, "each request that showed the applicant recorded it"


async def test_a_restart_of_pgbouncer_is_a_clean_error_and_serving_goes_on(database, pgbouncer):
    """PgBouncer stops: anonymous and signed-in requests are answered SERVICE_UNAVAILABLE
    (the signed-in one fails while its token is proved, before GraphQL runs); it starts
    again: the same app serves both again, without a restart."""
    settings = TEST_SETTINGS.model_copy(update={"transaction_pooling": True})
    app = create_app(settings, DatabaseUrls(admin=database.admin, app=pgbouncer.url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            api = Api(app, http)
            seeker = (await api.sign_in("seeker2@jobboard.test", "jobboard"))["accessToken"]
            assert await api.data(UNKEPT, {"s": "pilot"}, tenant="jobboard")
            mine = await api.data(ME, tenant="jobboard", token=seeker)

            pgbouncer.stop()
            for token in (None, seeker):
                body = await api.graphql(UNKEPT, {"s": "harbour"}, tenant="jobboard", token=token)
                assert error_code(body) == "SERVICE_UNAVAILABLE", body
                assert "try again" in body["errors"][0]["message"]

            pgbouncer.start()
            assert await api.data(UNKEPT, {"s": "captain"}, tenant="jobboard")
            assert await api.data(ME, tenant="jobboard", token=seeker) == mine
