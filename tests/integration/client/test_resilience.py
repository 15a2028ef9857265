"""Deadlines, retries, the retry budget, the breaker and the bulkhead over real HTTP.

The catalog runs under uvicorn on a loopback port of its own, behind a switch the test
flips: ``up`` lets requests through to the real runtime, ``down`` answers every request
503 problem+json as an overloaded or restarting service would. The switch records every
request that reached the server, with its headers.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import msgspec
import pytest
import uvicorn

from accord import Contract, Idempotency, operation, runtime
from accord.client import DEFAULT_BREAKER
from accord.errors import DeadlineExceeded, TransportError, Unavailable
from accord.resilience import BreakerOpen, BulkheadConfig, BulkheadFull, Deadline, current_deadline
from accord.resilience import parse_timeout as parse
from tests.integration.client.conftest import CatalogService
from tests.support.processes import free_port
from tests.unit.client.catalog import Catalog, Item, ItemRef, Line, Nap, PlaceOrder, Slept

pytestmark = pytest.mark.anyio

ORDER = PlaceOrder(lines=[Line(sku="A-1", qty=1)])


@dataclass
class Seen:
    at: float
    path: str
    headers: dict[str, str]


class Switch:
    """An ASGI app in front of the catalog: lets requests through, or answers 503."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.down = False
        self.failures_left = 0
        self.retry_after: str | None = None
        self.seen: list[Seen] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.seen.append(Seen(time.monotonic(), scope["path"], headers))
        if self.down or self.failures_left > 0:
            self.failures_left = max(0, self.failures_left - 1)
            body = msgspec.json.encode(
                {"type": "about:blank", "title": "Service unavailable", "status": 503,
                 "code": "unavailable"}
            )  # fmt: skip
            extra = [(b"retry-after", self.retry_after.encode())] if self.retry_after else []
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [(b"content-type", b"application/problem+json"), *extra],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="on", log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve)
        with anyio.fail_after(10):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers only a flag
                await anyio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
        server.should_exit = True


@pytest.fixture
async def served() -> AsyncIterator[tuple[Switch, str]]:
    switch = Switch(runtime.App(Catalog, CatalogService()))
    async with serve(switch) as url:
        yield switch, url


async def test_503s_are_retried_with_a_shrinking_deadline_until_success(
    served: tuple[Switch, str],
) -> None:
    switch, url = served
    switch.failures_left = 2
    async with Catalog.client(url, timeout=3.0) as catalog:
        item = await catalog.get_item(ItemRef(sku="A-1"))
    assert item.name == "Anvil"
    assert len(switch.seen) == 3
    sent = [parse(s.headers["accord-timeout"]) for s in switch.seen]
    assert 2.5 < sent[0] <= 3.0
    assert sent[0] > sent[1] > sent[2]
    assert len({s.headers["x-correlation-id"] for s in switch.seen}) == 1


async def test_a_keyed_call_is_retried_with_its_key_and_a_keyless_one_is_not(
    served: tuple[Switch, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    switch, url = served
    switch.failures_left = 1
    async with Catalog.client(url) as catalog:
        placed = await catalog.place(ORDER)
        assert placed.order_id == "o-1"
        keys = [s.headers.get("idempotency-key") for s in switch.seen]
        assert len(keys) == 2
        assert keys[0] is not None
        assert keys[0] == keys[1]

        # The same operation without a key may not be sent twice.
        monkeypatch.setattr("accord.client.core.idempotency_key_for", lambda *_: None)
        switch.failures_left = 1
        with pytest.raises(Unavailable):
            await catalog.place(ORDER)
    assert len(switch.seen) == 3
    assert "idempotency-key" not in switch.seen[2].headers


async def test_retry_after_is_honoured(served: tuple[Switch, str]) -> None:
    switch, url = served
    switch.failures_left = 1
    switch.retry_after = "1"
    async with Catalog.client(url, timeout=3.0) as catalog:
        await catalog.get_item(ItemRef(sku="A-1"))
    first, second = switch.seen
    assert second.at - first.at >= 1.0


async def test_the_retry_budget_keeps_amplification_under_1_2_when_all_fails(
    served: tuple[Switch, str],
) -> None:
    switch, url = served
    switch.down = True
    calls = 200
    async with Catalog.client(url, breaker=None) as catalog:
        for _ in range(calls):
            with pytest.raises(Unavailable):
                await catalog.get_item(ItemRef(sku="A-1"))
        figures = catalog._core.downstream.stats()
    amplification = len(switch.seen) / calls
    print(f"retry amplification at 100% failure: {amplification:.3f} ({len(switch.seen)}/{calls})")
    assert amplification <= 1.2
    assert figures.attempts == len(switch.seen)
    assert figures.amplification == amplification


async def test_the_breaker_opens_within_its_minimum_calls_fails_fast_and_closes(
    served: tuple[Switch, str],
) -> None:
    switch, url = served
    switch.down = True
    async with Catalog.client(url) as catalog:  # the default retry policy and breaker
        with pytest.raises(Unavailable):
            while True:
                await catalog.get_item(ItemRef(sku="A-1"))
        failed_calls = 1
        while True:
            try:
                await catalog.get_item(ItemRef(sku="A-1"))
            except Unavailable:
                failed_calls += 1
            except BreakerOpen:
                break
        assert len(switch.seen) == DEFAULT_BREAKER.minimum_number_of_calls
        assert failed_calls < DEFAULT_BREAKER.minimum_number_of_calls  # retries counted too

        # How fast an open breaker refuses is bench/breaker.py's figure, not a test's.
        for _ in range(500):
            with pytest.raises(BreakerOpen):
                await catalog.get_item(ItemRef(sku="A-1"))
        assert len(switch.seen) == DEFAULT_BREAKER.minimum_number_of_calls

        switch.down = False
        back = time.monotonic()
        with anyio.fail_after(5):
            while catalog._core.downstream.stats().breaker_state != "closed":
                try:
                    await catalog.get_item(ItemRef(sku="A-1"))
                except BreakerOpen:
                    await anyio.sleep(0.05)
        closed_after = time.monotonic() - back
        figures = catalog._core.downstream.stats()
    print(f"breaker closed {closed_after:.2f} s after the downstream returned")
    assert figures.breaker_opened == 1
    assert figures.breaker_rejections >= 500


async def test_an_expired_deadline_sends_nothing(served: tuple[Switch, str]) -> None:
    switch, url = served
    token = current_deadline.set(Deadline.after(0.0))
    try:
        async with Catalog.client(url) as catalog:
            with pytest.raises(DeadlineExceeded):
                await catalog.get_item(ItemRef(sku="A-1"))
    finally:
        current_deadline.reset(token)
    assert switch.seen == []


async def test_the_served_requests_deadline_caps_the_call(served: tuple[Switch, str]) -> None:
    switch, url = served
    token = current_deadline.set(Deadline.after(0.5))
    try:
        async with Catalog.client(url, timeout=5.0) as catalog:
            await catalog.get_item(ItemRef(sku="A-1"))
    finally:
        current_deadline.reset(token)
    assert 0.0 < parse(switch.seen[0].headers["accord-timeout"]) <= 0.5


async def test_a_refused_connection_is_retried_even_for_an_unkeyed_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing was sent, so sending again cannot do anything twice."""
    monkeypatch.setattr("accord.client.core.idempotency_key_for", lambda *_: None)
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    async with Catalog.client(url, breaker=None) as catalog:
        with pytest.raises(TransportError, match="ConnectError"):
            await catalog.place(ORDER)
        figures = catalog._core.downstream.stats()
    assert (figures.calls, figures.attempts) == (1, 3)


async def test_the_bulkhead_sheds_what_it_cannot_hold(served: tuple[Switch, str]) -> None:
    _, url = served
    outcomes: list[str] = []
    tight = BulkheadConfig(max_concurrent_calls=2, max_wait_duration=0.05)

    async def nap(catalog: Catalog) -> None:
        try:
            await catalog.nap(Nap(seconds=0.15))
            outcomes.append("ok")
        except BulkheadFull:
            outcomes.append("shed")

    async with Catalog.client(url, bulkhead=tight) as catalog:
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(nap, catalog)
        assert sorted(outcomes) == ["ok", "ok", "shed"]
        assert catalog._core.downstream.stats().shed == 1


class Relay(Contract, name="relay", version="1.0.0"):
    """A front service: each operation calls the catalog."""

    fetch = operation(
        ItemRef, Item, method="GET", path="/fetch/{sku}", idempotency=Idempotency.READ_ONLY
    )
    doze = operation(Nap, Slept, method="POST", path="/doze", timeout=10.0)


class RelayService:
    def __init__(self, catalog_url: str) -> None:
        self.catalog_url = catalog_url

    async def fetch(self, request: ItemRef) -> Item:
        async with Catalog.client(self.catalog_url, timeout=5.0) as catalog:
            return await catalog.get_item(request)

    async def doze(self, request: Nap) -> Slept:
        async with Catalog.client(self.catalog_url, timeout=5.0) as catalog:
            return await catalog.nap(request)


@pytest.fixture
async def relay(served: tuple[Switch, str]) -> AsyncIterator[str]:
    from accord.runtime.deadlines import Deadlines

    _, catalog_url = served
    app = runtime.App(Relay, RelayService(catalog_url), layers=[Deadlines()])
    async with serve(app) as url:
        yield url


async def test_each_hop_sends_on_what_remains_of_the_callers_deadline(
    served: tuple[Switch, str], relay: str
) -> None:
    switch, _ = served
    async with Relay.client(relay, timeout=1.0) as front:
        item = await front.fetch(ItemRef(sku="A-1"))
    assert item.sku == "A-1"
    (seen,) = switch.seen
    assert 0.0 < parse(seen.headers["accord-timeout"]) < 1.0  # not the catalog client's 5 s


async def test_a_downstream_call_ends_with_the_callers_deadline(
    served: tuple[Switch, str], relay: str
) -> None:
    switch, _ = served
    async with httpx.AsyncClient() as http:
        started = time.monotonic()
        answer = await http.post(
            f"{relay}/v1/doze", json={"seconds": 3.0}, headers={"accord-timeout": "500m"}
        )  # the catalog would nap for 3 s
        elapsed = time.monotonic() - started
    assert answer.status_code == 504
    assert answer.json()["code"] == "deadline_exceeded"
    assert elapsed < 2.5  # the 3 s nap was cut short by the 500 ms deadline
    (seen,) = switch.seen
    assert parse(seen.headers["accord-timeout"]) <= 0.5
