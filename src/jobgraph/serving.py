"""How uvicorn serves the app's connections (``cli.server_options`` names it)."""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol, with Nagle's algorithm off on every connection. asyncio
    turns it off only for sockets it recognises as TCP, and with several workers uvicorn
    hands each its listening socket in a form it does not (no protocol number): every
    keep-alive response after a connection's first then waits about 40 ms for the client's
    delayed acknowledgement (Kludex/uvicorn#3149)."""

    def connection_made(self, transport: asyncio.Transport) -> None:
        no_delay(transport)
        super().connection_made(transport)


def no_delay(transport: asyncio.BaseTransport) -> None:
    """Sends what the transport is given at once (TCP_NODELAY), on a TCP connection."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
