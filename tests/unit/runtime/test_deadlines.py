"""The deadline layer: the earliest of the caller's and the contract's deadline, enforced."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest

from accord import Contract, operation
from accord.resilience import Deadline, current_deadline
from accord.runtime import App
from accord.runtime.deadlines import Deadlines

pytestmark = pytest.mark.anyio


class Work(msgspec.Struct):
    seconds: float = 0.0


class Done(msgspec.Struct):
    remaining: float


class Slow(Contract, name="slow", version="1.0.0"):
    work = operation(Work, Done, method="POST", path="/work", timeout=2.0)
    fail = operation(Work, Done, method="POST", path="/fail", timeout=2.0)


class SlowService:
    def __init__(self) -> None:
        self.calls = 0
        self.cancelled = 0
        self.seen: list[Deadline | None] = []

    async def work(self, request: Work) -> Done:
        self.calls += 1
        deadline = current_deadline.get()
        self.seen.append(deadline)
        try:
            await asyncio.sleep(request.seconds)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return Done(remaining=deadline.remaining() if deadline is not None else -1.0)

    async def fail(self, request: Work) -> Done:
        async with asyncio.timeout(0.01):
            await asyncio.sleep(1.0)
        raise AssertionError("unreachable")


@pytest.fixture
def service() -> SlowService:
    return SlowService()


@pytest.fixture
async def client(service: SlowService) -> AsyncIterator[httpx.AsyncClient]:
    app = App(Slow, service, layers=[Deadlines()])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://slow.test") as c:
        yield c


async def test_without_a_header_the_contract_timeout_is_the_deadline(
    client: httpx.AsyncClient, service: SlowService
) -> None:
    answer = await client.post("/v1/work", json={})
    assert answer.status_code == 200
    assert 1.9 < answer.json()["remaining"] <= 2.0
    assert current_deadline.get() is None


async def test_a_shorter_caller_deadline_wins(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/work", json={}, headers={"accord-timeout": "300m"})
    assert answer.status_code == 200
    assert 0.2 < answer.json()["remaining"] <= 0.3


async def test_a_longer_caller_deadline_is_cut_to_the_contract(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/work", json={}, headers={"accord-timeout": "1M"})
    assert 1.9 < answer.json()["remaining"] <= 2.0


@pytest.mark.parametrize("value", ["soon", "1.5S", "123456789m", "10", "-1S", "5s"])
async def test_a_malformed_header_is_400(
    client: httpx.AsyncClient, service: SlowService, value: str
) -> None:
    answer = await client.post("/v1/work", json={}, headers={"accord-timeout": value})
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "bad_request"
    assert "accord-timeout" in answer.json()["detail"]
    assert service.calls == 0


async def test_an_expired_deadline_is_504_without_calling_the_handler(
    client: httpx.AsyncClient, service: SlowService
) -> None:
    answer = await client.post("/v1/work", json={}, headers={"accord-timeout": "0n"})
    assert answer.status_code == 504
    assert answer.json()["code"] == "deadline_exceeded"
    assert service.calls == 0


async def test_work_past_its_deadline_is_cancelled_and_answered_504(
    client: httpx.AsyncClient, service: SlowService
) -> None:
    start = time.perf_counter()
    answer = await client.post("/v1/work", json={"seconds": 5}, headers={"accord-timeout": "100m"})
    elapsed = time.perf_counter() - start
    assert answer.status_code == 504
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "deadline_exceeded"
    assert service.cancelled == 1
    assert 0.09 < elapsed < 1.0


async def test_the_handlers_own_timeout_is_not_taken_for_the_deadline(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post("/v1/fail", json={})
    assert answer.status_code == 500
    assert answer.json()["code"] == "internal"


async def test_the_deadline_is_measured_on_the_injected_clock(service: SlowService) -> None:
    now = [1000.0]
    app = App(Slow, service, layers=[Deadlines(clock=lambda: now[0])])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://slow.test"
    ) as c:
        await c.post("/v1/work", json={}, headers={"accord-timeout": "500m"})
    deadline = service.seen[0]
    assert deadline is not None
    assert deadline.at == pytest.approx(1000.5)
    now[0] = 1000.2
    assert deadline.remaining() == pytest.approx(0.3)


async def test_a_cancellation_that_is_not_the_deadline_stays_a_cancellation(
    service: SlowService,
) -> None:
    from accord.runtime.requests import Request

    handler = Deadlines().wrap(Slow.work, _work_handler(service))
    request = Request({"type": "http", "method": "POST", "path": "/"}, None, {})  # type: ignore[arg-type]
    task = asyncio.create_task(handler(request))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert service.cancelled == 1


def _work_handler(service: SlowService) -> Any:
    async def handle(request: object) -> Any:
        return await service.work(Work(seconds=5))

    return handle
