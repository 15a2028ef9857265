"""The ASGI lifespan: hooks in order, failures reported in one line, telemetry flushed."""

from __future__ import annotations

import io
from typing import Any

import pytest

from accord.observability import Telemetry
from accord.runtime import App
from tests.unit.runtime.sample import Sample, SampleService

pytestmark = pytest.mark.anyio


async def run(app: App, *events: str) -> list[dict[str, Any]]:
    incoming = [{"type": f"lifespan.{e}"} for e in events]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(dict(message))

    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)  # type: ignore[arg-type]
    return sent


async def test_hooks_run_in_order_and_telemetry_is_flushed_last() -> None:
    order: list[str] = []
    stream = io.StringIO()
    telemetry = Telemetry.configure(
        "sample", "1.2.0", log_stream=stream, environ={"OTEL_TRACES_EXPORTER": "none"}
    )

    async def start_a() -> None:
        order.append("start a")

    async def start_b() -> None:
        order.append("start b")

    async def stop() -> None:
        order.append("stop")

    app = App(
        Sample,
        SampleService(),
        telemetry=telemetry,
        on_startup=[start_a, start_b],
        on_shutdown=[stop],
    )
    sent = await run(app, "startup", "shutdown")
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert order == ["start a", "start b", "stop"]
    assert '"event":"stopped"' in stream.getvalue()


async def test_failing_startup_hook_is_reported_in_one_line() -> None:
    async def broken() -> None:
        raise RuntimeError("database\nunreachable")

    sent = await run(App(Sample, SampleService(), on_startup=[broken]), "startup")
    assert sent == [
        {"type": "lifespan.startup.failed", "message": "RuntimeError: database unreachable"}
    ]


async def test_failing_shutdown_hook_does_not_stop_the_others() -> None:
    ran: list[str] = []

    async def broken() -> None:
        raise OSError("disk")

    async def fine() -> None:
        ran.append("fine")

    app = App(Sample, SampleService(), on_shutdown=[broken, fine])
    sent = await run(app, "startup", "shutdown")
    assert sent[-1] == {"type": "lifespan.shutdown.failed", "message": "OSError: disk"}
    assert ran == ["fine"]
