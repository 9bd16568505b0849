"""A small TCP proxy on loopback that a test can cut and restore, e.g. between the service
and PostgreSQL, so that the database connection is lost without stopping the shared server::

    async with TcpProxy(target_port=5432) as proxy:
        url = f"postgresql://postgres@127.0.0.1:{proxy.port}/test"
        ...
        await proxy.cut()  # every live connection is dropped, new ones are closed at once
        ...
        proxy.restore()  # connections go through again

``hold()`` is the other kind of outage: connections stay open but no byte moves (a server
that hangs, a network that drops packets) until ``release()``.

While cut, the proxy still accepts connections (the port stays ours) but closes them at once
without a byte, as a server does that went away: clients see the connection reset or closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass, field

__all__ = ["TcpProxy"]

CHUNK = 64 * 1024


@dataclass(eq=False)
class _Link:
    """One client connection and its connection to the target."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def abort(self) -> None:
        """Drop both sides at once (no flushing of what is buffered)."""
        for writer in (self.client, self.upstream):
            _reset(writer)


class TcpProxy:
    """Forwards ``host:port`` (a free loopback port by default) to ``target_host:target_port``.

    ``cut()`` drops every live connection and closes new ones at once until ``restore()``.
    ``connections`` counts the connections forwarded so far, ``cuts`` the calls of ``cut()``.
    """

    def __init__(
        self,
        target_host: str = "127.0.0.1",
        target_port: int = 5432,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = host
        self.port = port
        self.connections = 0
        self.cuts = 0
        self._is_cut = False
        self._links: set[_Link] = set()
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()

    @property
    def is_cut(self) -> bool:
        return self._is_cut

    @property
    def live(self) -> int:
        """Connections forwarded right now."""
        return len(self._links)

    async def start(self) -> TcpProxy:
        """Listen (the port is known afterwards in ``port``)."""
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening and drop every connection."""
        if self._server is not None:
            self._server.close()
        self._drop_all()
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> TcpProxy:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def cut(self) -> None:
        """Drop every live connection; close new ones at once until :meth:`restore`."""
        self._is_cut = True
        self.cuts += 1
        self._drop_all()
        await asyncio.sleep(0)  # let the pipes see their connections end

    def hold(self) -> None:
        """Move no byte any more, in either direction, on any connection (new ones too)."""
        self._flowing.clear()

    def release(self) -> None:
        """Let the bytes held back by :meth:`hold` move again."""
        self._flowing.set()

    def restore(self) -> None:
        """Forward new connections again (the dropped ones stay dropped)."""
        self._is_cut = False

    def _drop_all(self) -> None:
        for link in list(self._links):
            link.abort()
            for task in link.tasks:
                task.cancel()
        self._links.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._is_cut:
            _reset(writer)
            return
        await self._flowing.wait()
        try:
            async with asyncio.timeout(5):
                up_reader, up_writer = await asyncio.open_connection(
                    self.target_host, self.target_port
                )
        except (OSError, TimeoutError):
            _reset(writer)
            return
        if self._is_cut:  # cut while we were connecting
            _reset(writer)
            _reset(up_writer)
            return
        link = _Link(writer, up_writer)
        link.tasks = [
            asyncio.create_task(self._pipe(reader, up_writer, link)),
            asyncio.create_task(self._pipe(up_reader, writer, link)),
        ]
        self._links.add(link)
        self.connections += 1

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, link: _Link
    ) -> None:
        """Copy one direction until it ends; then the whole link ends."""
        try:
            while data := await reader.read(CHUNK):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if link in self._links:
                self._links.discard(link)
                link.abort()
                for task in link.tasks:
                    if task is not asyncio.current_task():
                        task.cancel()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a vanished server's host answers."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
