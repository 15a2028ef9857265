"""A response's head written with its body (accord.runtime.onewrite), on uvicorn's own
protocol classes (httptools and h11), driven with bytes and a transport that records
every write."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from accord.runtime.onewrite import one_write_protocol

pytestmark = pytest.mark.anyio

PROTOCOLS = [HttpToolsProtocol, H11Protocol]

GET = b"GET /x HTTP/1.1\r\nhost: t\r\n\r\n"


class Recording(asyncio.Transport):
    """A transport that keeps what is written to it, and whether it was closed."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.closed_by_server = False

    def write(self, data: Any) -> None:
        if data:  # as asyncio's and uvloop's transports, an empty write sends nothing
            self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def _exchange(base: type[asyncio.Protocol], app: Any, *requests: bytes) -> Recording:
    config = uvicorn.Config(app, log_level="warning", lifespan="off", server_header=False)
    config.load()
    state = ServerState()
    protocol: Any = base(config=config, server_state=state, app_state={})  # type: ignore[call-arg]
    transport = Recording()
    protocol.connection_made(transport)
    for request in requests:
        protocol.data_received(request)
        for _ in range(50):  # let the request's task run to its end
            await asyncio.sleep(0)
            if not state.tasks:
                break
    transport.closed_by_server = transport.closed
    protocol.connection_lost(None)  # the client goes: the keep-alive timer stops
    return transport


def _app(*messages: dict[str, Any], fail: bool = False) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        for message in messages:
            await send(message)
        if fail:
            raise RuntimeError("after the head")

    return app


START = {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
BODY = {"type": "http.response.body", "body": b"ok"}


@pytest.mark.parametrize("base", PROTOCOLS, ids=lambda b: b.__name__)
async def test_without_the_wrapper_a_response_is_two_writes(base: type[asyncio.Protocol]) -> None:
    transport = await _exchange(base, _app(START, BODY), GET)
    assert len(transport.writes) == 2  # what the wrapper is for
    assert transport.writes[1] == b"ok"


@pytest.mark.parametrize("base", PROTOCOLS, ids=lambda b: b.__name__)
async def test_a_response_is_one_write_of_its_head_and_body(base: type[asyncio.Protocol]) -> None:
    transport = await _exchange(one_write_protocol(base), _app(START, BODY), GET, GET)
    assert len(transport.writes) == 2  # one for each request on the kept-alive connection
    for write in transport.writes:
        assert write.startswith(b"HTTP/1.1 200 OK\r\n")
        assert write.endswith(b"\r\n\r\nok")
    assert not transport.closed_by_server


@pytest.mark.parametrize("base", PROTOCOLS, ids=lambda b: b.__name__)
async def test_a_head_without_a_body_goes_out_when_the_response_completes(
    base: type[asyncio.Protocol],
) -> None:
    head = b"HEAD /x HTTP/1.1\r\nhost: t\r\n\r\n"
    transport = await _exchange(one_write_protocol(base), _app(START, BODY), head, GET)
    assert len(transport.writes) == 2
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport.writes[0].endswith(b"\r\n\r\n")  # the answer to HEAD: no body
    assert transport.writes[1].endswith(b"\r\n\r\nok")


@pytest.mark.parametrize("base", PROTOCOLS, ids=lambda b: b.__name__)
async def test_a_streamed_response_sends_its_head_with_the_first_chunk(
    base: type[asyncio.Protocol],
) -> None:
    start = {"type": "http.response.start", "status": 200, "headers": []}
    chunks = [
        {"type": "http.response.body", "body": b"one", "more_body": True},
        {"type": "http.response.body", "body": b"two", "more_body": True},
        {"type": "http.response.body", "body": b""},
    ]
    transport = await _exchange(one_write_protocol(base), _app(start, *chunks), GET)
    first, *rest = transport.writes
    assert first.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"transfer-encoding: chunked" in first.lower()
    assert first.endswith(b"\r\n\r\n3\r\none\r\n")
    assert b"".join(rest) == b"3\r\ntwo\r\n0\r\n\r\n"


@pytest.mark.parametrize("base", PROTOCOLS, ids=lambda b: b.__name__)
async def test_an_interim_response_is_written_at_once(base: type[asyncio.Protocol]) -> None:
    request = b"POST /x HTTP/1.1\r\nhost: t\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\n"
    config = uvicorn.Config(_app(START, BODY), log_level="warning", lifespan="off")
    config.load()
    state = ServerState()
    protocol: Any = one_write_protocol(base)(  # type: ignore[call-arg]
        config=config, server_state=state, app_state={}
    )
    transport = Recording()
    protocol.connection_made(transport)
    protocol.data_received(request)
    for _ in range(10):  # the app waits for the body; it asked for it: 100 Continue
        await asyncio.sleep(0)
    assert transport.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    protocol.data_received(b"hi")
    for _ in range(50):
        await asyncio.sleep(0)
        if not state.tasks:
            break
    assert len(transport.writes) == 2
    assert transport.writes[1].endswith(b"\r\n\r\nok")


@pytest.mark.parametrize("base", PROTOCOLS, ids=lambda b: b.__name__)
async def test_a_held_head_is_written_before_the_connection_closes(
    base: type[asyncio.Protocol],
) -> None:
    transport = await _exchange(one_write_protocol(base), _app(START, fail=True), GET)
    assert transport.closed_by_server
    assert len(transport.writes) == 1
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport.writes[0].endswith(b"\r\n\r\n")
