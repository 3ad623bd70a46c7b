"""`jobgraph serve` as a real process on a free port, and waiting for it to answer."""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
from sqlalchemy.engine import make_url

from jobgraph.db.embedded import EmbeddedPostgres, EmbeddedPostgresError
from tests.conftest import PROJECT_ROOT, TEST_SETTINGS
from tests.support.needs import skip_for_want_of


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stdout.read() if server.stdout else ""
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not become healthy")


def start_server(port: int, *arguments: str, **environment: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "jobgraph", "serve", *arguments],
        cwd=PROJECT_ROOT,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        | {"JOBGRAPH_PORT": str(port), "JOBGRAPH_LOG_FORMAT": "json"}
        | environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


class ServerOutput:
    """A server process's output, read as it comes (a thread drains the pipe), so that a
    test can wait for what the server says rather than for a while."""

    def __init__(self, server: subprocess.Popen) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._seen: list[str] = []
        self._reader = threading.Thread(target=self._read, args=(server.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self._lines.put(line)
        self._lines.put(None)

    def until(self, words: str, seconds: float = 30, times: int = 1) -> None:
        """Wait until the server has written ``times`` lines with ``words``."""
        found = sum(words in line for line in self._seen)
        deadline = time.monotonic() + seconds
        while found < times and (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self._seen.append(line)
            found += words in line
        if found < times:
            raise AssertionError(
                f"the server wrote {words!r} {found} times, not {times}:\n{''.join(self._seen)}"
            )

    def whole(self) -> str:
        """Everything the server wrote, once it has exited."""
        self._reader.join(timeout=30)
        while (line := self._lines.get_nowait() if not self._lines.empty() else None) is not None:
            self._seen.append(line)
        return "".join(self._seen)


def metric(port: int, name: str, token: str) -> float:
    """A metric's value as the server's /metrics shows it."""
    response = httpx.get(
        f"http://127.0.0.1:{port}/metrics",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    for line in response.text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"/metrics has no {name}")


# The Redis the tests that need one use: JOBGRAPH_TEST_REDIS_URL's where it is set (then a
# Redis that cannot be reached fails those tests: a machine said to have one must not skip
# them), else the machine's on 127.0.0.1:6379 if there is one (else they are skipped, and
# pytest's summary names each). Each test owns a database of it, emptied first, so counts
# left by an earlier run (the per-address sign-in limit) do not carry into this one.
REDIS_SERVER = os.environ.get("JOBGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
REDIS = f"{REDIS_SERVER}/15"


def empty_redis_or_skip(url: str = REDIS) -> str:
    """``url`` (a database of the tests' Redis), emptied; the test is skipped where no Redis
    was configured and the machine has none."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except redis.ConnectionError as error:
        if "JOBGRAPH_TEST_REDIS_URL" in os.environ:
            raise AssertionError(
                f"JOBGRAPH_TEST_REDIS_URL is set, and {url} cannot be reached"
            ) from error
        skip_for_want_of("redis", f"none on {REDIS_SERVER} (set JOBGRAPH_TEST_REDIS_URL)")
    return url


@contextlib.contextmanager
def copy_of_test_server(admin_url: str, name: str) -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL of the test's own, made from the embedded test server with pg_basebackup
    (every database it holds now, this test's included): a streaming standby of it until
    promoted; stopped and removed afterwards."""
    if os.environ.get("DATABASE_URL"):
        skip_for_want_of(
            "a-copy-of-the-test-server",
            "the copy is made from the embedded test server, whose access rules admit "
            "replication; unset DATABASE_URL to run this test",
        )
    primary = make_url(admin_url)
    conninfo = f"host={primary.query['host']} user={primary.username}"
    copy = uuid.uuid4().hex[:8]
    # Through a slot of its own: another make test beside this one writes its test
    # databases' copies to the log, and without a slot the primary recycled the segments
    # before the standby had them (its replay then stood still for good).
    server = EmbeddedPostgres(
        TEST_SETTINGS.data_dir,
        name=f"{name}-{copy}",
        standby_of=conninfo,
        standby_slot=f"jobgraph_test_copy_{copy}",
    )
    _drop_abandoned_slots(server)
    try:
        server.start()
    except EmbeddedPostgresError:
        shutil.rmtree(server.pgdata, ignore_errors=True)
        server.drop_standby_slot()
        raise
    try:
        yield server
    finally:
        server.stop()
        server.drop_standby_slot()
        shutil.rmtree(server.pgdata, ignore_errors=True)


def _drop_abandoned_slots(copy: EmbeddedPostgres) -> None:
    """The slots of copies whose test was killed before it dropped them (their data
    directory is gone): the primary would keep WAL for them for ever."""
    slots = copy.on_primary(
        "SELECT slot_name FROM pg_replication_slots "
        "WHERE NOT active AND slot_name LIKE 'jobgraph_test_copy_%'"
    )
    for slot in slots.split():
        if not any(copy.pgdata.parent.glob(f"*-{slot.removeprefix('jobgraph_test_copy_')}")):
            copy.on_primary(f"SELECT pg_drop_replication_slot('{slot}')")


def on_server(url: str, server: EmbeddedPostgres) -> str:
    """``url`` (same user, same database) on ``server``'s socket."""
    moved = make_url(url).set(query={"host": str(server.socket_dir)})
    return moved.render_as_string(hide_password=False)
