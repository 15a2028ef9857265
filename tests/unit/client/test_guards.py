"""The breaker and the bulkhead of a downstream, as the typed client uses them."""

from __future__ import annotations

import dataclasses
import weakref

import anyio
import httpx
import pytest

import accord.client
from accord.client import ClientCore
from accord.client.downstream import DOWNSTREAMS, Downstreams
from accord.errors import NotFound, Unavailable
from accord.observability.telemetry import Telemetry
from accord.resilience import (
    Backoff,
    BreakerConfig,
    BreakerOpen,
    BulkheadConfig,
    BulkheadFull,
    RetryPolicy,
)
from tests.unit.client.catalog import ITEM, Catalog, ItemRef
from tests.unit.client.conftest import CapturingLogger, Recorder

pytestmark = pytest.mark.anyio

QUICK = BreakerConfig(
    minimum_number_of_calls=4,
    sliding_window_size=4,
    wait_duration_in_open_state=0.2,
    permitted_number_of_calls_in_half_open_state=2,
)


def down(_: httpx.Request) -> httpx.Response:
    return httpx.Response(
        503,
        json={"status": 503, "code": "unavailable"},
        headers={"content-type": "application/problem+json"},
    )


def catalog(transport: httpx.MockTransport, **options: object) -> Catalog:
    options.setdefault("retry", None)
    options.setdefault("breaker", QUICK)
    return Catalog.client("http://catalog.test", transport=transport, **options)  # type: ignore[arg-type]


def gauge(telemetry: Telemetry) -> float | None:
    return telemetry.metrics.registry.get_sample_value(
        "accord_client_breaker_state", {"downstream": "catalog"}
    )


async def test_the_breaker_opens_fails_fast_and_closes_again(
    recorder: Recorder, transport: httpx.MockTransport, telemetry: Telemetry
) -> None:
    recorder.respond = down
    # Long enough a wait that the thousand refusals below end well before it does.
    patient = dataclasses.replace(QUICK, wait_duration_in_open_state=1.0)
    async with catalog(transport, telemetry=telemetry, breaker=patient) as c:
        for _ in range(4):
            with pytest.raises(Unavailable):
                await c.get_item(ItemRef(sku="A-1"))
        assert gauge(telemetry) == 1
        # How fast these refusals are is measured by bench/breaker.py, not asserted here.
        for _ in range(1000):
            with pytest.raises(BreakerOpen) as caught:
                await c.get_item(ItemRef(sku="A-1"))
        assert len(recorder.requests) == 4  # nothing sent while open
        assert caught.value.downstream == "catalog"
        assert 0 < caught.value.retry_after <= 1.0

        recorder.respond = lambda _: httpx.Response(200, json=ITEM)
        await anyio.sleep(1.05)
        for _ in range(2):  # the permitted trial calls
            await c.get_item(ItemRef(sku="A-1"))
        figures = c._core.downstream.stats()
    assert gauge(telemetry) == 0
    assert figures.breaker_state == "closed"
    assert figures.breaker_opened == 1
    assert figures.breaker_rejections == 1000
    registry = telemetry.metrics.registry
    labels = {"downstream": "catalog"}
    assert registry.get_sample_value("accord_client_breaker_rejections_total", labels) == 1000
    assert registry.get_sample_value("accord_client_breaker_opened_total", labels) == 1
    assert isinstance(telemetry.logger, CapturingLogger)
    changes = [
        (fields["previous"], fields["current"])
        for _, event, fields in telemetry.logger.records
        if event == "breaker_state_changed"
    ]
    assert changes == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]


async def test_client_errors_do_not_open_the_breaker(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(
        404,
        json={"status": 404, "code": "not_found"},
        headers={"content-type": "application/problem+json"},
    )
    async with catalog(transport) as c:
        for _ in range(10):
            with pytest.raises(NotFound):
                await c.get_item(ItemRef(sku="A-1"))
    assert len(recorder.requests) == 10


async def test_clients_of_one_downstream_share_its_breaker(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = down
    async with catalog(transport) as first, catalog(transport) as second:
        for _ in range(4):
            with pytest.raises(Unavailable):
                await first.get_item(ItemRef(sku="A-1"))
        with pytest.raises(BreakerOpen):
            await second.get_item(ItemRef(sku="A-1"))
        # Another transport is another downstream, even at the same URL.
        other = httpx.MockTransport(lambda _: httpx.Response(200, json=ITEM))
        async with catalog(other) as third:
            await third.get_item(ItemRef(sku="A-1"))


async def test_a_breaker_can_be_turned_off(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = down
    async with catalog(transport, breaker=None) as c:
        for _ in range(20):
            with pytest.raises(Unavailable):
                await c.get_item(ItemRef(sku="A-1"))
    assert len(recorder.requests) == 20


async def test_the_bulkhead_sheds_calls_over_its_limit(
    recorder: Recorder, transport: httpx.MockTransport, telemetry: Telemetry
) -> None:
    release = anyio.Event()

    async def slow(_: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(200, json=ITEM)

    recorder.respond = slow
    tight = BulkheadConfig(max_concurrent_calls=2, max_wait_duration=0.05)
    outcomes: list[str] = []

    async def one(c: Catalog) -> None:
        try:
            await c.get_item(ItemRef(sku="A-1"))
            outcomes.append("ok")
        except BulkheadFull as exc:
            assert exc.downstream == "catalog"
            assert exc.max_concurrent_calls == 2
            outcomes.append("shed")

    async with catalog(transport, bulkhead=tight, telemetry=telemetry) as c:
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(one, c)
            await anyio.sleep(0.2)
            release.set()
        figures = c._core.downstream.stats()
    assert sorted(outcomes) == ["ok", "ok", "shed"]
    assert len(recorder.requests) == 2
    assert figures.shed == 1
    assert (
        telemetry.metrics.registry.get_sample_value(
            "accord_client_shed_total", {"downstream": "catalog"}
        )
        == 1
    )


async def test_a_call_waits_briefly_for_a_free_slot(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    async def quick(_: httpx.Request) -> httpx.Response:
        await anyio.sleep(0.05)
        return httpx.Response(200, json=ITEM)

    recorder.respond = quick
    patient = BulkheadConfig(max_concurrent_calls=1, max_wait_duration=1.0)
    async with catalog(transport, bulkhead=patient) as c, anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(c.get_item, ItemRef(sku="A-1"))
    assert len(recorder.requests) == 3


async def test_stats_list_every_downstream_of_a_registry(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(200, json=ITEM)
    registry = Downstreams()
    core = ClientCore(Catalog, "http://catalog.test", transport=transport, downstreams=registry)
    await core.call(Catalog.get_item, ItemRef(sku="A-1"))
    await core.aclose()
    (figures,) = registry.stats()
    assert figures.name == "catalog"
    assert figures.base_url == "http://catalog.test:80"
    assert (figures.calls, figures.attempts, figures.amplification) == (1, 1, 1.0)
    assert figures.breaker_state == "closed"
    assert core.downstream not in DOWNSTREAMS.all()  # a registry of its own


async def test_the_process_stats_include_every_client(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = lambda _: httpx.Response(200, json=ITEM)
    async with Catalog.client("http://catalog.stats.test", transport=transport) as c:
        await c.get_item(ItemRef(sku="A-1"))
    found = [s for s in accord.client.stats() if s.base_url == "http://catalog.stats.test:80"]
    assert [(s.name, s.calls, s.attempts, s.breaker_state) for s in found] == [
        ("catalog", 1, 1, "closed")
    ]


async def test_a_breaker_opening_between_attempts_leaves_the_last_answer(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = down
    quick_retry = RetryPolicy(backoff=Backoff(base=0.001, cap=0.001, max_attempts=3))
    async with catalog(transport, retry=quick_retry) as c:
        with pytest.raises(Unavailable):
            await c.get_item(ItemRef(sku="A-1"))  # attempts 1-3
        with pytest.raises(Unavailable):
            await c.get_item(ItemRef(sku="A-1"))  # attempt 4 opens it; no fifth
        assert len(recorder.requests) == 4
        with pytest.raises(BreakerOpen):
            await c.get_item(ItemRef(sku="A-1"))
        figures = c._core.downstream.stats()
    assert (figures.calls, figures.attempts, figures.breaker_rejections) == (3, 4, 2)


async def test_one_downstream_however_its_url_is_spelled(transport: httpx.MockTransport) -> None:
    spellings = ["http://catalog.test", "http://catalog.test/", "http://catalog.test:80"]
    clients = [Catalog.client(url, transport=transport) for url in spellings]
    downstreams = {c._core.downstream for c in clients}
    assert len(downstreams) == 1
    assert downstreams.pop().base_url == "http://catalog.test:80"
    other = Catalog.client("http://catalog.test:8080/", transport=transport)
    assert other._core.downstream.base_url == "http://catalog.test:8080"
    for c in [*clients, other]:
        await c.aclose()


async def test_a_failed_trial_opens_the_breaker_again(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    recorder.respond = down
    async with catalog(transport) as c:
        for _ in range(4):
            with pytest.raises(Unavailable):
                await c.get_item(ItemRef(sku="A-1"))
        await anyio.sleep(0.25)
        for _ in range(2):  # the trials fail too
            with pytest.raises(Unavailable):
                await c.get_item(ItemRef(sku="A-1"))
        with pytest.raises(BreakerOpen):
            await c.get_item(ItemRef(sku="A-1"))
        figures = c._core.downstream.stats()
    assert len(recorder.requests) == 6
    assert (figures.breaker_state, figures.breaker_opened) == ("open", 2)


async def test_a_cancelled_call_gives_back_its_bulkhead_slot(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    hang = anyio.Event()

    async def respond(_: httpx.Request) -> httpx.Response:
        if not hang.is_set():
            hang.set()
            await anyio.sleep(10)
        return httpx.Response(200, json=ITEM)

    recorder.respond = respond
    one = BulkheadConfig(max_concurrent_calls=1, max_wait_duration=0.0)
    async with catalog(transport, bulkhead=one) as c:
        with anyio.move_on_after(0.05):
            await c.get_item(ItemRef(sku="A-1"))
        assert c._core._bulkhead is not None
        assert c._core._bulkhead.in_flight == 0
        await c.get_item(ItemRef(sku="A-1"))  # the slot is free again
        figures = c._core.downstream.stats()
    assert (figures.calls, figures.attempts, figures.shed) == (2, 2, 0)


async def test_slow_answers_open_the_breaker_too(
    recorder: Recorder, transport: httpx.MockTransport
) -> None:
    async def slow(_: httpx.Request) -> httpx.Response:
        await anyio.sleep(0.06)
        return httpx.Response(200, json=ITEM)

    recorder.respond = slow
    sluggish = BreakerConfig(
        slow_call_rate_threshold=100.0,
        slow_call_duration_threshold=0.05,
        minimum_number_of_calls=2,
        sliding_window_size=2,
        wait_duration_in_open_state=10.0,
    )
    async with catalog(transport, breaker=sluggish) as c:
        for _ in range(2):
            assert (await c.get_item(ItemRef(sku="A-1"))).sku == "A-1"
        with pytest.raises(BreakerOpen):
            await c.get_item(ItemRef(sku="A-1"))
    assert len(recorder.requests) == 2


def test_a_transport_without_weak_references_still_has_its_downstreams() -> None:
    class Slotted:  # stands for a transport declared with __slots__ all the way down
        __slots__ = ()

    registry = Downstreams()
    transport = Slotted()
    with pytest.raises(TypeError):
        weakref.ref(transport)
    first = registry.get("catalog", "http://catalog.test:80", transport)
    assert registry.get("catalog", "http://catalog.test:80", transport) is first
    assert registry.get("catalog", "http://catalog.test:80", Slotted()) is not first
    assert first in registry.all()
