"""Fault injection: off by default, exactly the configured delays and aborts when on."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import httpx
import msgspec
import pytest

from accord import Contract, operation
from accord.runtime import App
from accord.runtime.deadlines import Deadlines
from accord.runtime.faults import (
    FaultConfig,
    FaultConfigError,
    FaultInjection,
    faults_from_env,
)
from tests.unit.runtime.conftest import Observed

pytestmark = pytest.mark.anyio


class Ping(msgspec.Struct):
    pass


class Pong(msgspec.Struct):
    ok: bool = True


class Echo(Contract, name="echo", version="1.0.0"):
    ping = operation(Ping, Pong, method="POST", path="/ping")
    pong = operation(Ping, Pong, method="POST", path="/pong", timeout=0.2)


class EchoService:
    def __init__(self) -> None:
        self.calls = 0

    async def ping(self, request: Ping) -> Pong:
        self.calls += 1
        return Pong()

    async def pong(self, request: Ping) -> Pong:
        self.calls += 1
        return Pong()


def _client(app: App) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://echo.test")


def _cycle(*values: float) -> Callable[[], float]:
    source = itertools.cycle(values)
    return lambda: next(source)


def test_nothing_is_configured_without_the_variables() -> None:
    assert faults_from_env({}, "orders") is None
    assert faults_from_env({"ACCORD_FAULTS": "  "}, "orders") is None


def test_the_service_variable_wins_over_the_host_one() -> None:
    environ = {
        "ACCORD_FAULTS": '{"abort": {"status": 503, "percent": 10}}',
        "PAYMENTS_FAULTS": '{"delay": {"seconds": 0.5, "percent": 20}}',
    }
    payments = faults_from_env(environ, "payments")
    assert payments is not None
    assert payments.abort is None
    assert payments.delay is not None
    assert (payments.delay.seconds, payments.delay.percent) == (0.5, 20.0)
    orders = faults_from_env(environ, "orders")
    assert orders is not None
    assert orders.abort is not None
    assert orders.abort.status == 503


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("not json", "ACCORD_FAULTS: invalid fault configuration: JSON is malformed"),
        ('{"abort": {"status": 200}}', "abort.status must be one of 400,"),
        ('{"abort": {"status": 503, "percent": 150}}', "abort.percent must be within 0..100"),
        ('{"delay": {"seconds": -1}}', "delay.seconds must be within 0..3600"),
        ('{"delay": {"sekonds": 1}}', "unknown field `sekonds`"),
        ('{"operations": {"ping": {"abort": {"status": 299}}}}', "operations.ping.abort.status"),
        ("[1, 2]", "Expected `object`, got `array`"),
    ],
)
def test_a_bad_configuration_fails_in_one_line(raw: str, fragment: str) -> None:
    with pytest.raises(FaultConfigError) as caught:
        faults_from_env({"ACCORD_FAULTS": raw}, "orders")
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message
    assert message.startswith("ACCORD_FAULTS: ")


async def test_without_configuration_handlers_are_left_alone() -> None:
    injection = FaultInjection(None)
    handler = EchoService().ping
    assert injection.wrap(Echo.ping, handler) is handler  # type: ignore[arg-type]
    zero = FaultInjection(FaultConfig.parse('{"abort": {"status": 503, "percent": 0}}'))
    assert zero.wrap(Echo.ping, handler) is handler  # type: ignore[arg-type]


async def test_an_abort_answers_the_status_without_calling_the_handler(
    observed: Observed,
) -> None:
    service = EchoService()
    config = FaultConfig.parse('{"abort": {"status": 503, "percent": 50}}')
    injection = FaultInjection(config, telemetry=observed.telemetry, chance=_cycle(0.2, 0.7))
    async with _client(App(Echo, service, layers=[injection], telemetry=observed.telemetry)) as c:
        answers = [await c.post("/v1/ping", json={}) for _ in range(4)]
        metrics = (await c.get("/metrics")).text
    assert [a.status_code for a in answers] == [503, 200, 503, 200]
    assert service.calls == 2
    aborted = answers[0]
    assert aborted.headers["content-type"] == "application/problem+json"
    assert aborted.headers["retry-after"] == "1"
    assert aborted.json()["code"] == "unavailable"
    assert "fault injected" in aborted.json()["detail"]
    assert 'accord_faults_injected_total{fault="abort",operation="echo.ping"} 2.0' in metrics


@pytest.mark.parametrize(
    ("status", "code"), [(500, "internal"), (429, "rate_limited"), (504, "deadline_exceeded")]
)
async def test_other_abort_statuses_are_their_standard_problem(status: int, code: str) -> None:
    config = FaultConfig.parse(msgspec.json.encode({"abort": {"status": status}}))
    async with _client(App(Echo, EchoService(), layers=[FaultInjection(config)])) as c:
        answer = await c.post("/v1/ping", json={})
    assert answer.status_code == status
    assert answer.json()["code"] == code
    assert ("retry-after" in answer.headers) == (status == 429)


async def test_a_delay_waits_before_the_handler_runs() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    config = FaultConfig.parse('{"delay": {"seconds": 0.25, "percent": 20}}')
    injection = FaultInjection(config, chance=_cycle(0.1, 0.5, 0.9, 0.19, 0.21), sleep=sleep)
    service = EchoService()
    async with _client(App(Echo, service, layers=[injection])) as c:
        for _ in range(5):
            assert (await c.post("/v1/ping", json={})).status_code == 200
    assert slept == [0.25, 0.25]
    assert service.calls == 5


async def test_an_injected_delay_counts_against_the_deadline() -> None:
    config = FaultConfig.parse('{"operations": {"pong": {"delay": {"seconds": 5}}}}')
    service = EchoService()
    app = App(Echo, service, layers=[Deadlines(), FaultInjection(config)])
    async with _client(app) as c:
        start = time.perf_counter()
        slow = await c.post("/v1/pong", json={})
        elapsed = time.perf_counter() - start
        fast = await c.post("/v1/ping", json={})
    assert slow.status_code == 504
    assert slow.json()["code"] == "deadline_exceeded"
    assert elapsed < 1.0
    assert fast.status_code == 200
    assert service.calls == 1


def test_per_operation_faults_replace_the_default() -> None:
    config = FaultConfig.parse(
        '{"abort": {"status": 503, "percent": 10},'
        ' "operations": {"ping": {"delay": {"seconds": 1}}}}'
    )
    assert config.for_operation("ping").abort is None
    assert config.for_operation("ping").delay is not None
    pong = config.for_operation("pong")
    assert pong.abort is not None
    assert pong.abort.percent == 10.0
