"""Http1Transport against real sockets on loopback: framing, keep-alive, failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from accord.client.transport import Http1Transport

Reply = Callable[[bytes], bytes | None]


@asynccontextmanager
async def raw_server(reply: Reply) -> AsyncIterator[tuple[str, list[int]]]:
    """A server answering each request head with ``reply(head)`` (None: close at once);
    yields its base URL and the number of requests seen per connection."""
    per_connection: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        per_connection.append(0)
        index = len(per_connection) - 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                per_connection[index] += 1
                answer = reply(head + body)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if b"connection: close" in answer.lower():
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", per_connection
    finally:
        server.close()
        await server.wait_closed()


def ok(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: %d\r\n\r\n%s" % (
        len(body),
        body,
    )


async def send(transport: Http1Transport, url: str, content: bytes = b"") -> httpx.Response:
    request = httpx.Request("POST", url + "/echo?x=1", content=content)
    response = await transport.handle_async_request(request)
    await response.aread()
    return response


@pytest.mark.anyio
async def test_requests_reuse_one_connection_and_send_head_and_body() -> None:
    seen: list[bytes] = []

    def reply(raw: bytes) -> bytes:
        seen.append(raw)
        return ok(raw.rsplit(b"\r\n\r\n", 1)[1])

    async with raw_server(reply) as (url, per_connection):
        transport = Http1Transport()
        try:
            for n in range(3):
                response = await send(transport, url, b"body %d" % n)
                assert response.status_code == 200
                assert response.content == b"body %d" % n
                assert response.headers["content-type"] == "text/plain"
        finally:
            await transport.aclose()
    assert per_connection == [3]
    assert seen[0].startswith(b"POST /echo?x=1 HTTP/1.1\r\n")
    assert b"host: 127.0.0.1:" in seen[0].lower()


@pytest.mark.anyio
async def test_chunked_and_read_to_close_responses_are_read_whole() -> None:
    answers = iter(
        [
            b"HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end",
        ]
    )
    async with raw_server(lambda _: next(answers)) as (url, _seen):
        transport = Http1Transport()
        try:
            first = await send(transport, url)
            second = await send(transport, url)
        finally:
            await transport.aclose()
    assert (first.status_code, first.content) == (201, b"hello world")
    assert (second.status_code, second.content) == (200, b"until the end")


@pytest.mark.anyio
async def test_a_connection_closed_by_the_server_is_not_reused() -> None:
    answers = iter([ok(b"a") + b"", ok(b"b")])

    def reply(_: bytes) -> bytes:
        return next(answers).replace(b"200 OK\r\n", b"200 OK\r\nconnection: close\r\n", 1)

    async with raw_server(reply) as (url, per_connection):
        transport = Http1Transport()
        try:
            assert (await send(transport, url)).content == b"a"
            await asyncio.sleep(0.05)
            assert (await send(transport, url)).content == b"b"
        finally:
            await transport.aclose()
    assert per_connection == [1, 1]


@pytest.mark.anyio
async def test_a_lost_response_is_a_read_error_and_no_server_a_connect_error() -> None:
    async with raw_server(lambda _: None) as (url, _):
        transport = Http1Transport()
        try:
            with pytest.raises(httpx.ReadError):
                await send(transport, url)
        finally:
            await transport.aclose()
    transport = Http1Transport()
    with pytest.raises(httpx.ConnectError):
        await send(transport, url)  # the server is gone: nothing listens there now


@pytest.mark.anyio
async def test_a_cancelled_request_closes_its_connection() -> None:
    async def never(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(never, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    transport = Http1Transport()
    try:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await send(transport, url)
        assert not any(transport._idle.values())
    finally:
        await transport.aclose()
        server.close()


@pytest.mark.anyio
async def test_only_plain_http_is_spoken() -> None:
    transport = Http1Transport()
    with pytest.raises(httpx.UnsupportedProtocol):
        await send(transport, "https://127.0.0.1:1")
