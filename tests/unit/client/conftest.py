"""Fixtures of the client unit tests: a recording mock transport and telemetry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from accord.observability.context import correlation_id
from accord.observability.metrics import Metrics
from accord.observability.telemetry import Telemetry

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


class Recorder:
    """A transport handler that records every request and answers with ``respond``."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.respond: Handler = lambda _: httpx.Response(200, json={})

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        result = self.respond(request)
        if isinstance(result, httpx.Response):
            return result
        return await result

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


class CapturingLogger:
    """A structlog-shaped logger that keeps what it is given."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str, dict[str, Any]]] = []

    def bind(self, **_: Any) -> CapturingLogger:
        return self

    def _record(self, level: str) -> Callable[..., None]:
        def log(event: str, **fields: Any) -> None:
            self.records.append((level, event, fields))

        return log

    def __getattr__(self, level: str) -> Callable[..., None]:
        return self._record(level)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def transport(recorder: Recorder) -> httpx.MockTransport:
    return httpx.MockTransport(recorder)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def telemetry(exporter: InMemorySpanExporter) -> Telemetry:
    """Every span recorded in memory, logs captured, metrics in a private registry."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return Telemetry("caller", "1.0.0", provider, Metrics(process=False), CapturingLogger())


@pytest.fixture(autouse=True)
def fresh_correlation() -> Iterator[None]:
    """Each test starts without a correlation id."""
    token = correlation_id.set(None)
    yield
    correlation_id.reset(token)
