"""How uvicorn serves connections (serving.py): every connection sends at once (TCP_NODELAY),
also on the listening socket uvicorn's workers get, which asyncio does not know as TCP."""

from __future__ import annotations

import asyncio
import socket

from uvicorn.importer import import_from_string

from jobgraph.cli import server_options
from jobgraph.serving import NoDelayHTTPProtocol, no_delay
from tests.conftest import TEST_SETTINGS


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
