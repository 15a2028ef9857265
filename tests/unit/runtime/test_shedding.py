"""Load shedding: past the limit a request is refused at once with 503 and counted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest

from accord import Contract, operation
from accord.observability.telemetry import Telemetry
from accord.runtime import App
from accord.runtime.shedding import DEFAULT_MAX_IN_FLIGHT, LoadShedding, max_in_flight_from_env
from tests.unit.runtime.conftest import Observed

pytestmark = pytest.mark.anyio


class Hold(msgspec.Struct):
    pass


class Held(msgspec.Struct):
    ok: bool = True


class Gate(Contract, name="gate", version="1.0.0"):
    hold = operation(Hold, Held, method="POST", path="/hold")
    other = operation(Hold, Held, method="POST", path="/other")


class GateService:
    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.entered = 0

    async def hold(self, request: Hold) -> Held:
        self.entered += 1
        await self.release.wait()
        return Held()

    async def other(self, request: Hold) -> Held:
        return Held()


@pytest.fixture
def service() -> GateService:
    return GateService()


@pytest.fixture
def shedding(observed: Observed) -> LoadShedding:
    return LoadShedding(3, telemetry=observed.telemetry)


@pytest.fixture
async def client(
    service: GateService, shedding: LoadShedding, observed: Observed
) -> AsyncIterator[httpx.AsyncClient]:
    app = App(Gate, service, telemetry=observed.telemetry, layers=[shedding])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gate.test") as c:
        yield c


async def _until(condition: object, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.001)


async def test_requests_past_the_limit_are_refused_at_once(
    client: httpx.AsyncClient, service: GateService, shedding: LoadShedding, observed: Observed
) -> None:
    held = [asyncio.create_task(client.post("/v1/hold", json={})) for _ in range(3)]
    await _until(lambda: service.entered == 3)
    assert shedding.in_flight == 3

    start = time.perf_counter()
    refused = await client.post("/v1/other", json={})
    assert time.perf_counter() - start < 0.5
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["code"] == "unavailable"
    await client.post("/v1/hold", json={})

    service.release.set()
    assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200, 200]
    assert shedding.in_flight == 0
    assert (await client.post("/v1/other", json={})).status_code == 200

    metrics = (await client.get("/metrics")).text
    assert 'accord_server_shed_total{operation="gate.other"} 1.0' in metrics
    assert 'accord_server_shed_total{operation="gate.hold"} 1.0' in metrics
    shed_lines = [line for line in observed.lines() if line["event"] == "request_shed"]
    assert len(shed_lines) == 1  # the second refusal came within the same second
    assert shed_lines[0]["limit"] == 3
    assert shed_lines[0]["operation"] == "gate.other"


async def test_probes_answer_while_the_server_is_full(
    client: httpx.AsyncClient, service: GateService
) -> None:
    held = [asyncio.create_task(client.post("/v1/hold", json={})) for _ in range(3)]
    await _until(lambda: service.entered == 3)
    assert (await client.get("/livez")).status_code == 200
    assert (await client.get("/metrics")).status_code == 200
    service.release.set()
    await asyncio.gather(*held)


async def test_a_failing_handler_gives_its_slot_back(service: GateService) -> None:
    shedding = LoadShedding(1)

    class Broken(GateService):
        async def other(self, request: Hold) -> Held:
            raise RuntimeError("boom")

    app = App(Gate, Broken(), layers=[shedding], telemetry=Telemetry.noop())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gate.test"
    ) as c:
        for _ in range(3):
            assert (await c.post("/v1/other", json={})).status_code == 500
    assert shedding.in_flight == 0


def test_the_limit_comes_from_the_environment() -> None:
    assert max_in_flight_from_env({}, "orders") == DEFAULT_MAX_IN_FLIGHT
    assert max_in_flight_from_env({"ACCORD_MAX_IN_FLIGHT": "64"}, "orders") == 64
    both = {"ACCORD_MAX_IN_FLIGHT": "64", "ORDERS_MAX_IN_FLIGHT": "8"}
    assert max_in_flight_from_env(both, "orders") == 8
    assert max_in_flight_from_env(both, "payments") == 64


@pytest.mark.parametrize("value", ["0", "-3", "many", "1.5"])
def test_a_bad_limit_is_refused_in_one_line(value: str) -> None:
    with pytest.raises(ValueError, match=r"^ACCORD_MAX_IN_FLIGHT must be a positive integer"):
        max_in_flight_from_env({"ACCORD_MAX_IN_FLIGHT": value}, "orders")
    with pytest.raises(ValueError):
        LoadShedding(0)
