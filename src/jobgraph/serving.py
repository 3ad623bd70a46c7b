"""How uvicorn serves the app's connections (``cli.server_options`` names it)."""

from __future__ import annotations

import asyncio
import socket
import sys
from typing import Any, SupportsIndex

from uvicorn.protocols.http.auto import AutoHTTPProtocol


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol, with Nagle's algorithm off on every connection, and each
    response's head and body sent as one (``JoinedWrites``). asyncio turns Nagle's
    algorithm off only for sockets it recognises as TCP, and with several workers uvicorn
    hands each its listening socket in a form it does not (no protocol number): every
    keep-alive response after a connection's first then waits about 40 ms for the client's
    delayed acknowledgement (Kludex/uvicorn#3149)."""

    def connection_made(self, transport: asyncio.Transport) -> None:
        no_delay(transport)
        super().connection_made(JoinedWrites(transport))


class JoinedWrites:
    """A connection's transport whose writes in one turn of the event loop leave as one.
    uvicorn writes a response's status line and headers, then its body, each at once:
    two system calls and (without Nagle's algorithm) two packets, each waking the client.
    Here a write is held until the next one, which takes it along (a response's body
    follows its head at once), or until the loop's turn ends; closing sends what is held
    first. Everything else is the transport's own."""

    __slots__ = ("_held", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is None:
            self._held = bytes(data)
            asyncio.get_running_loop().call_soon(self.flush)
        else:
            self._held = None
            self._transport.write(held + data)

    def writelines(self, lines: Any) -> None:
        self.write(b"".join(lines))

    def flush(self) -> None:
        """Sends what is held, if anything."""
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def no_delay(transport: asyncio.BaseTransport) -> None:
    """Sends what the transport is given at once (TCP_NODELAY), on a TCP connection."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def reuse_port_supported() -> bool:
    """Whether the kernel spreads connections over sockets sharing a port (Linux's
    SO_REUSEPORT; elsewhere the option exists but one socket gets them all)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


class WorkersSocket(socket.socket):
    """The address `jobgraph serve --workers N` listens on, bound in the supervising
    process with SO_REUSEPORT and never listened on there: each worker it is handed to
    (pickled, as uvicorn hands its workers their sockets) binds a socket of its own on the
    same address (``_own_socket``), so that the kernel spreads new connections over the
    workers evenly. With one shared socket, the worker that wakes first accepts a whole
    burst (the event loop accepts up to its backlog at a time): in about a third of the
    bench's runs one worker took all 40 connections while the other idled. A worker that
    dies loses the connections waiting in its own queue; its replacement binds anew."""

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        return (_own_socket, (self.family, self.getsockname()))


def workers_socket(host: str, port: int) -> socket.socket:
    """The socket uvicorn's supervisor hands its workers: a ``WorkersSocket`` where the
    kernel balances, else one bound as uvicorn binds it (shared by every worker)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    reuse_port = reuse_port_supported()
    if reuse_port and port:
        # SO_REUSEPORT would let this bind beside another server of the same user on the
        # port (a second `jobgraph serve`), silently sharing its connections: a plain bind
        # first fails there, as it would without the option.
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    sock = (WorkersSocket if reuse_port else socket.socket)(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _own_socket(family: int, address: tuple[Any, ...]) -> socket.socket:
    """A worker's own socket on the supervisor's address (unpickling a WorkersSocket)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock
