"""Live settings through a real App: one snapshot per request, new limits for new requests."""

from __future__ import annotations

import asyncio
from typing import Annotated, ClassVar

import httpx
import msgspec
import pytest

from accord import Contract, operation
from accord.config import LiveSettings, Snapshot, setting
from accord.runtime import App
from accord.runtime.deadlines import Deadlines
from accord.runtime.faults import AbortFault, FaultConfig, FaultInjection
from accord.runtime.ratelimit import RateLimit, parse_rate
from accord.runtime.shedding import LoadShedding

pytestmark = pytest.mark.anyio


class Knobs(msgspec.Struct, frozen=True, kw_only=True):
    schema_version: ClassVar[str] = "1.0.0"
    limit: Annotated[int, setting("in flight", reloadable=True)] = 10
    rate: Annotated[str, setting("rate", reloadable=True)] = "100/1s"
    timeout: Annotated[float, setting("seconds", reloadable=True)] = 5.0
    faults: Annotated[FaultConfig | None, setting("faults", reloadable=True)] = None


class Ask(msgspec.Struct):
    pass


class Seen(msgspec.Struct):
    before: int
    after: int


class Knobbed(Contract, name="knobbed", version="1.0.0"):
    look = operation(Ask, Seen, method="POST", path="/look")


class Service:
    def __init__(self, live: LiveSettings[Knobs]) -> None:
        self.live = live
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def look(self, request: Ask) -> Seen:
        before = self.live.get().limit
        self.entered.set()
        await self.release.wait()
        return Seen(before=before, after=self.live.get().limit)


def snapshot(knobs: Knobs, generation: int = 1) -> Snapshot[Knobs]:
    return Snapshot(knobs, "1.0.0", str(generation), generation=generation)


def app_of(live: LiveSettings[Knobs], service: Service) -> App:
    layers = [
        live.layer(),
        LoadShedding(live.value(lambda s: s.limit)),
        Deadlines(timeouts=live.value(lambda s: {"look": s.timeout})),
        FaultInjection(live.value(lambda s: s.faults)),
        RateLimit(live.derived(lambda s: {"look": parse_rate(s.rate)})),
    ]
    return App(Knobbed, service, layers=layers, freeze_gc=False)


async def test_a_request_keeps_the_snapshot_it_started_with() -> None:
    live = LiveSettings(snapshot(Knobs(limit=10)))
    service = Service(live)
    transport = httpx.ASGITransport(app=app_of(live, service))
    async with httpx.AsyncClient(transport=transport, base_url="http://k") as client:
        pending = asyncio.ensure_future(client.post("/v1/look", json={}))
        await service.entered.wait()
        live.swap(snapshot(Knobs(limit=20), 2))  # a reload lands mid-request
        service.release.set()
        answer = await pending
        assert answer.json() == {"before": 10, "after": 10}
        assert (await client.post("/v1/look", json={})).json() == {"before": 20, "after": 20}


async def test_new_limits_faults_rates_and_timeouts_apply_to_the_next_request() -> None:
    live = LiveSettings(snapshot(Knobs()))
    service = Service(live)
    service.release.set()
    transport = httpx.ASGITransport(app=app_of(live, service))
    async with httpx.AsyncClient(transport=transport, base_url="http://k") as client:
        assert (await client.post("/v1/look", json={})).status_code == 200
        abort = FaultConfig(abort=AbortFault(status=503, percent=100.0))
        live.swap(snapshot(Knobs(faults=abort), 2))
        assert (await client.post("/v1/look", json={})).status_code == 503
        service.release.clear()
        live.swap(snapshot(Knobs(timeout=0.05), 3))
        assert (await client.post("/v1/look", json={})).status_code == 504
        service.release.set()
        live.swap(snapshot(Knobs(rate="1/1m"), 4))
        codes = [(await client.post("/v1/look", json={})).status_code for _ in range(2)]
        assert codes == [200, 429]


async def test_listeners_follow_every_swap() -> None:
    live = LiveSettings(snapshot(Knobs()))
    seen: list[int] = []
    live.subscribe(lambda s: seen.append(s.limit))
    live.swap(snapshot(Knobs(limit=3), 2))
    assert seen == [3] and live.current.generation == 2
