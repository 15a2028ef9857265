"""Time is a bound on the whole call: the call's, else the client's, else the operation's."""

from __future__ import annotations

import json
import time

import anyio
import httpx
import pytest

from accord.errors import Timeout, TransportError
from tests.unit.client.catalog import Catalog, Nap
from tests.unit.client.conftest import Recorder

pytestmark = pytest.mark.anyio


@pytest.fixture
def sleepy(recorder: Recorder) -> Recorder:
    """Answers ``nap`` after sleeping the requested seconds."""

    async def respond(request: httpx.Request) -> httpx.Response:
        seconds = json.loads(request.content)["seconds"]
        await anyio.sleep(seconds)
        return httpx.Response(200, json={"seconds": seconds})

    recorder.respond = respond
    return recorder


async def timed_nap(client: Catalog, seconds: float, **kwargs: object) -> float:
    started = time.perf_counter()
    try:
        await client.nap(Nap(seconds=seconds), **kwargs)  # type: ignore[arg-type]
    finally:
        elapsed = time.perf_counter() - started
    return elapsed


async def test_the_operation_timeout_bounds_the_call(
    sleepy: Recorder, transport: httpx.MockTransport
) -> None:
    async with Catalog.client("http://catalog.test", transport=transport) as c:
        started = time.perf_counter()
        with pytest.raises(Timeout) as caught:
            await c.nap(Nap(seconds=5))
        elapsed = time.perf_counter() - started
    assert 0.15 < elapsed < 1.0
    assert isinstance(caught.value, TransportError)
    assert str(caught.value) == (
        "catalog.nap (POST http://catalog.test/v1/nap): no response within 0.2s"
    )


async def test_a_per_call_timeout_overrides_the_operation(
    sleepy: Recorder, transport: httpx.MockTransport
) -> None:
    async with Catalog.client("http://catalog.test", transport=transport) as c:
        elapsed = await timed_nap(c, 0.35, timeout=2.0)  # longer than the op's 0.2s
        assert elapsed >= 0.35
        started = time.perf_counter()
        with pytest.raises(Timeout, match=r"within 0\.05s"):
            await c.nap(Nap(seconds=5), timeout=0.05)
        assert time.perf_counter() - started < 0.5


async def test_timeout_none_means_no_limit(
    sleepy: Recorder, transport: httpx.MockTransport
) -> None:
    async with Catalog.client("http://catalog.test", transport=transport, timeout=0.05) as c:
        assert await timed_nap(c, 0.3, timeout=None) >= 0.3


async def test_the_client_timeout_overrides_the_operation(
    sleepy: Recorder, transport: httpx.MockTransport
) -> None:
    async with Catalog.client("http://catalog.test", transport=transport, timeout=1.0) as c:
        assert await timed_nap(c, 0.3) >= 0.3  # the op alone would give up at 0.2s
    async with Catalog.client("http://catalog.test", transport=transport, timeout=None) as c:
        assert await timed_nap(c, 0.3) >= 0.3
    async with Catalog.client("http://catalog.test", transport=transport, timeout=0.05) as c:
        with pytest.raises(Timeout, match=r"within 0\.05s"):
            await c.nap(Nap(seconds=1))


async def test_an_httpx_timeout_is_our_timeout(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    recorder.respond = slow
    async with Catalog.client("http://catalog.test", transport=transport) as c:
        with pytest.raises(Timeout) as caught:
            await c.nap(Nap(seconds=0))
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


async def test_a_non_positive_timeout_is_refused(transport: httpx.MockTransport) -> None:
    with pytest.raises(ValueError, match="positive"):
        Catalog.client("http://catalog.test", transport=transport, timeout=0)
    async with Catalog.client("http://catalog.test", transport=transport) as c:
        with pytest.raises(ValueError, match=r"catalog\.nap: timeout must be positive"):
            await c.nap(Nap(seconds=0), timeout=-1)


async def test_a_silent_server_on_loopback_times_out() -> None:
    """A real socket that accepts and never answers: the bound still holds."""

    async def never_answer(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await anyio.sleep(10)

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, never_answer)
        async with Catalog.client(f"http://127.0.0.1:{port}", timeout=0.2) as c:
            started = time.perf_counter()
            with pytest.raises(Timeout, match=rf"127\.0\.0\.1:{port}/v1/nap\): no response"):
                await c.nap(Nap(seconds=0))
            assert time.perf_counter() - started < 1.0
        tg.cancel_scope.cancel()
