"""How uvicorn serves connections (serving.py): every connection sends at once (TCP_NODELAY),
also on the listening socket uvicorn's workers get, which asyncio does not know as TCP; with
several workers, each listens on a socket of its own and the kernel spreads connections."""

from __future__ import annotations

import asyncio
import select
import signal
import socket
import time
from multiprocessing.reduction import ForkingPickler

import pytest
from uvicorn.importer import import_from_string

from jobgraph.cli import server_options
from jobgraph.serving import (
    JoinedWrites,
    NoDelayHTTPProtocol,
    no_delay,
    reuse_port_supported,
    workers_socket,
)
from tests.conftest import TEST_SETTINGS, database_name
from tests.support.servers import ServerOutput, free_port, metric, start_server


async def accepted_no_delay(set_it: bool) -> int:
    """TCP_NODELAY of a connection accepted on a listening socket made as uvicorn's workers
    get theirs (no protocol number), with or without ``no_delay``."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            if set_it:
                no_delay(transport)
            sock = transport.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
    async with server:
        _reader, writer = await asyncio.open_connection(*listener.getsockname())
        try:
            return await seen
        finally:
            writer.close()
            await writer.wait_closed()


async def test_connections_send_at_once_on_the_socket_uvicorns_workers_get():
    assert await accepted_no_delay(set_it=False) == 0, "asyncio leaves such a socket alone"
    assert await accepted_no_delay(set_it=True) != 0


def test_the_server_uses_the_protocol_that_sets_it():
    assert import_from_string(server_options(TEST_SETTINGS)["http"]) is NoDelayHTTPProtocol


def accept_all(listeners: list[socket.socket], expected: int) -> list[int]:
    """How many connections each listener accepts, until ``expected`` in all (or 10 s)."""
    accepted = [0] * len(listeners)
    deadline = time.monotonic() + 10
    while sum(accepted) < expected and time.monotonic() < deadline:
        ready, _, _ = select.select(listeners, [], [], deadline - time.monotonic())
        for listener in ready:
            connection, _address = listener.accept()
            connection.close()
            accepted[listeners.index(listener)] += 1
    return accepted


@pytest.mark.skipif(not reuse_port_supported(), reason="the kernel does not balance SO_REUSEPORT")
def test_each_worker_listens_on_a_socket_of_its_own_and_connections_are_spread_over_them():
    supervisor = workers_socket("127.0.0.1", 0)
    address = supervisor.getsockname()
    # Handed to two workers as uvicorn hands a worker its sockets (pickled for spawn).
    workers = [ForkingPickler.loads(ForkingPickler.dumps(supervisor)) for _ in range(2)]
    clients = []
    try:
        for worker in workers:
            assert worker.getsockname() == address and worker.fileno() != supervisor.fileno()
            worker.listen(64)
        # Sockets of their own, not the supervisor's shared: it still does not listen.
        assert supervisor.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 0
        clients = [socket.create_connection(address, timeout=10) for _ in range(40)]
        accepted = accept_all(workers, 40)
        assert sum(accepted) == 40
        assert all(accepted), f"every worker gets connections, not one all: {accepted}"
    finally:
        for sock in (*clients, *workers, supervisor):
            sock.close()


@pytest.mark.skipif(not reuse_port_supported(), reason="the kernel does not balance SO_REUSEPORT")
def test_a_port_another_server_listens_on_is_refused_not_shared():
    """A second `jobgraph serve --workers 2` on a port already served fails to start, as it
    would without SO_REUSEPORT, rather than silently sharing the first one's connections."""
    first = workers_socket("127.0.0.1", 0)
    port = first.getsockname()[1]
    worker = ForkingPickler.loads(ForkingPickler.dumps(first))
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        worker.listen()
        with pytest.raises(OSError):
            workers_socket("127.0.0.1", port)
        plain.bind(("127.0.0.1", 0))
        plain.listen()
        with pytest.raises(OSError):
            workers_socket("127.0.0.1", plain.getsockname()[1])
    finally:
        for sock in (plain, worker, first):
            sock.close()


METRICS_TOKEN = "serving-test-metrics"
POOL_SIZE = 3


def test_a_served_process_is_ready_for_its_first_searches_before_it_says_it_is_up(
    database, database_server
):
    """`jobgraph serve` warms each process before it serves: a cold one, started under
    load, answered its first searches many times slower (each counted by SQL while its
    facet indexes were built, each waiting for a connection to be opened)."""
    port = free_port()
    server = start_server(
        port, "--no-sync-tenants", "--workers", "1", DATABASE_URL=database.admin,
        JOBGRAPH_METRICS_TOKEN=METRICS_TOKEN, JOBGRAPH_DB_POOL_SIZE=str(POOL_SIZE),
    )  # fmt: skip
    output = ServerOutput(server)
    try:
        output.until("It is up: open", seconds=60)
        indexes = metric(port, 'jobgraph_cache_bytes{cache="facet_indexes"}', METRICS_TOKEN)
        assert indexes > 0, "every pool's facet index is built before the first search"
        connections = asyncio.run(
            database_server.fetch(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = 'jobgraph_app' "
                f"AND datname = '{database_name(database)}' AND application_name = 'jobgraph'"
            )
        )[0][0]
        assert connections >= 2 * POOL_SIZE, "its pool's and its reads alone's, all open"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        server.stdout.close()


class RecordingTransport(asyncio.Transport):
    """A transport that keeps what it is asked to send, in order, one entry a write."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.sent.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.sent.append(b"<closed>")
        self.closed = True

    def abort(self) -> None:
        self.closed = True


async def test_a_responses_head_and_body_leave_in_one_write():
    transport = RecordingTransport()
    joined = JoinedWrites(transport)
    # As uvicorn writes a response: its status line and headers, then its body.
    joined.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    assert transport.sent == [], "the head waits for what follows it"
    joined.write(b"{}")
    assert transport.sent == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    await asyncio.sleep(0)  # the loop's turn ends: nothing more leaves
    assert len(transport.sent) == 1


async def test_a_lone_write_leaves_when_the_loops_turn_ends_and_before_a_close():
    transport = RecordingTransport()
    joined = JoinedWrites(transport)
    joined.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    await asyncio.sleep(0)  # the turn ends
    assert transport.sent == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    joined.write(b"last words")
    joined.close()
    assert transport.sent[1:] == [b"last words", b"<closed>"]
    await asyncio.sleep(0)
    assert len(transport.sent) == 3, "nothing is written after the close"
    joined.write(b"dropped")
    joined.abort()
    await asyncio.sleep(0)
    assert b"dropped" not in transport.sent
