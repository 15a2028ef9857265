"""``Http1Transport``: plain HTTP/1.1 with keep-alive, on asyncio and httptools.

The typed clients' default transport for ``http://`` base URLs. It implements httpx's
``AsyncBaseTransport`` (``httpx.Request`` in, ``httpx.Response`` out), and any other
transport (mutual TLS, ``ASGITransport``, ``MockTransport``) still plugs in the same way.
The typed clients call :meth:`Http1Transport.send` instead, with the request already
written out as bytes, and read the status, raw header fields and body it returns: on
the shop's order path, building and reading httpx's objects (URL parsing, header
normalization, content streams) cost more than the exchange itself.

Why not httpx's own (httpcore over anyio): on the shop's order path, with four calls to
other services per order, that stack was about half of the orders service's CPU time
(a per-request import attempt of ``sniffio``, a socket readability probe before every
reuse, anyio streams and locks around every read and write). Here a connection is an
``asyncio.Protocol``: the request is written in one call, the response is parsed by
httptools (the C parser uvicorn uses) as bytes arrive, and a connection the server
closed is known from ``connection_lost`` without probing.

What it does: HTTP/1.1 only; requests with a body of known length (the clients encode
bodies whole); responses with ``content-length``, chunked, or read to the close; up
to :attr:`max_idle` idle connections per origin, dropped after :attr:`idle_expiry`
seconds (under uvicorn's 5 s keep-alive, so a server rarely closes one under us).
Errors are httpx's: ``ConnectError`` when no connection could be made (nothing was
sent), ``ReadError`` when it was lost before the whole response arrived,
``RemoteProtocolError`` for a response that does not parse. Cancelling a request
closes its connection. Time limits are the caller's (``ClientCore`` bounds each call).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

import httptools
import httpx

__all__ = ["Http1Transport"]

_Origin = tuple[str, int]


class _Connection(asyncio.Protocol):
    """One keep-alive connection: write a request, get its response, again."""

    __slots__ = (
        "_body",
        "_done",
        "_headers",
        "_parser",
        "_read_to_close",
        "closed",
        "idle_since",
        "keep_alive",
        "transport",
    )

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.keep_alive = True
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._read_to_close = False
        self._done: asyncio.Future[None] | None = None

    # -- asyncio -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"the response does not parse: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._read_to_close and self._done is not None and not self._done.done():
            self.keep_alive = False  # a response without a length ends with its connection
            self._done.set_result(None)
            return
        self._fail(httpx.ReadError("the connection was closed before the response ended"))

    # -- httptools callbacks -------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        framed = {n.lower() for n, _ in self._headers} & {b"content-length", b"transfer-encoding"}
        self._read_to_close = not framed and self._parser.get_status_code() not in (204, 304)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self.keep_alive = self._parser.should_keep_alive()
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    # -- requests ------------------------------------------------------------------------

    def _fail(self, error: Exception) -> None:
        self.keep_alive = False
        if self._done is not None and not self._done.done():
            self._done.set_exception(error)
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.close()

    async def exchange(
        self, head: bytes, body: bytes
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Send one request; its status, raw headers and whole body."""
        self._headers = []
        self._body = []
        self._read_to_close = False
        done = self._done = asyncio.get_running_loop().create_future()
        transport = self.transport
        if transport is None or self.closed:
            raise httpx.ReadError("the connection is closed")
        transport.write(head + body if len(body) < 65536 else head)
        if len(body) >= 65536:
            transport.write(body)
        try:
            await done
        except asyncio.CancelledError:
            self._fail(httpx.ReadError("cancelled"))
            raise
        finally:
            self._done = None
        status = self._parser.get_status_code()
        return status, self._headers, b"".join(self._body)

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.close()


class Http1Transport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over plain TCP with a small keep-alive pool per origin."""

    def __init__(self, *, max_idle: int = 20, idle_expiry: float = 4.0) -> None:
        self.max_idle = max_idle
        self.idle_expiry = idle_expiry
        self._idle: dict[_Origin, deque[_Connection]] = {}
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on an idle connection to its origin, or a new one."""
        url = request.url
        if url.scheme != "http":
            raise httpx.UnsupportedProtocol(f"Http1Transport speaks http://, not {url.scheme}")
        body = request.content if isinstance(request.stream, httpx.ByteStream) else b""
        if not body and not isinstance(request.stream, httpx.ByteStream):
            body = await request.aread()
        status, headers, content = await self.send(
            (url.host, url.port or 80), _head(request), body, request=request
        )
        return httpx.Response(
            status,
            headers=headers,
            content=content,
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def send(
        self,
        origin: tuple[str, int],
        head: bytes,
        body: bytes,
        *,
        request: httpx.Request | None = None,
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Send one request already written out (``head``: its request line and header
        fields, ending in an empty line; ``body``: its whole content) to ``origin``
        (host, port): its status, raw header fields and whole body.

        The typed clients' path: it skips building and reading httpx's ``Request`` and
        ``Response`` objects. Errors as :meth:`handle_async_request`'s (``request``, when
        given, is the one ``ConnectError`` names).
        """
        if self._closed:
            raise RuntimeError("the transport is closed")
        connection = self._checkout(origin) or await self._connect(origin, request)
        status, headers, content = await connection.exchange(head, body)
        if connection.keep_alive and not connection.closed:
            self._checkin(origin, connection)
        else:
            connection.close()
        return status, headers, content

    def _checkout(self, origin: _Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        if not idle:
            return None
        oldest_allowed = time.monotonic() - self.idle_expiry
        while idle:
            connection = idle.pop()  # the most recently used: the likeliest alive
            if not connection.closed and connection.idle_since >= oldest_allowed:
                return connection
            connection.close()
        return None

    def _checkin(self, origin: _Origin, connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, deque())
        if len(idle) >= self.max_idle:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        idle.append(connection)

    async def _connect(self, origin: _Origin, request: httpx.Request | None) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(_Connection, origin[0], origin[1])
        except OSError as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        return connection

    async def aclose(self) -> None:
        """Close every idle connection; the transport cannot be used afterwards."""
        self._closed = True
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()


def _head(request: httpx.Request) -> bytes:
    """The request line and header fields, as sent."""
    url = request.url
    target = url.raw_path
    lines = [request.method.encode("ascii"), b" ", target, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        lines += (name, b": ", value, b"\r\n")
    lines.append(b"\r\n")
    return b"".join(lines)
