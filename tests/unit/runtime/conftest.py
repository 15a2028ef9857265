"""Fixtures of the runtime tests: an app of the sample contract with real telemetry."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from accord.observability import Telemetry
from accord.runtime import App
from tests.unit.runtime.sample import Sample, SampleService


class Observed:
    """The telemetry of a test app, and what it wrote."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.spans = InMemorySpanExporter()
        self.telemetry = Telemetry.configure(
            "sample",
            "1.2.0",
            log_stream=self.stream,
            environ={"OTEL_TRACES_SAMPLER": "always_on"},
            span_exporter=self.spans,
            simple_processor=True,
        )

    def lines(self) -> list[dict[str, Any]]:
        """Every log line written so far, parsed."""
        self.telemetry.flush()
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def requests(self) -> list[dict[str, Any]]:
        """The request lines written so far."""
        return [line for line in self.lines() if line["event"] == "request"]


@pytest.fixture
def observed() -> Iterator[Observed]:
    obs = Observed()
    yield obs
    obs.telemetry.shutdown()


@pytest.fixture
def service() -> SampleService:
    return SampleService()


@pytest.fixture
def app(observed: Observed, service: SampleService) -> App:
    return App(Sample, service, telemetry=observed.telemetry, max_body_bytes=4096)


@pytest.fixture
async def client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sample.test") as c:
        yield c


class RawCall:
    """The outcome of calling an ASGI app directly."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: dict[bytes, bytes] = {}
        self.body = b""
        self.received = 0

    def json(self) -> Any:
        return json.loads(self.body)


async def call_raw(
    app: App,
    method: str,
    path: str,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    chunks: list[bytes] | None = None,
) -> RawCall:
    """Call ``app`` with a hand-made scope; the body arrives in ``chunks``."""
    result = RawCall()
    pending = list(chunks or [b""])

    async def receive() -> dict[str, Any]:
        result.received += 1
        if not pending:
            return {"type": "http.disconnect"}
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            result.status = message["status"]
            result.headers = dict(message["headers"])
        else:
            result.body += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers or [],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }
    await app(scope, receive, send)  # type: ignore[arg-type]
    return result
