"""The ASGI lifespan: hooks in order, failures reported in one line, telemetry flushed."""

from __future__ import annotations

import gc
import io
from collections.abc import Iterator
from typing import Any

import pytest

from accord.observability import Telemetry
from accord.runtime import App
from accord.runtime.lifespan import SERVING_GEN0_THRESHOLD
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


@pytest.fixture
def unfrozen() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


async def test_startup_freezes_what_the_hooks_built_and_shutdown_thaws_it(
    unfrozen: None,
) -> None:
    seen: list[int] = []
    kept: list[object] = []

    thresholds: list[tuple[int, int, int]] = []
    gc.set_threshold(700, 10, 10)

    async def build() -> None:
        seen.append(gc.get_freeze_count())
        kept.extend([{"cache": i}] for i in range(1000))

    async def stop() -> None:
        seen.append(gc.get_freeze_count())
        thresholds.append(gc.get_threshold())

    app = App(Sample, SampleService(), on_startup=[build], on_shutdown=[stop])
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if not sent:
            return incoming.pop(0)
        seen.append(gc.get_freeze_count())  # between start-up and shutdown
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(dict(message))

    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)  # type: ignore[arg-type]
    before_hooks, while_serving, during_shutdown = seen
    assert before_hooks == 0
    assert while_serving >= 1000  # the hooks' objects are among the frozen ones
    # The hooks still run frozen; thawed after. A frozen object that another thread frees
    # in between leaves the permanent generation, so the count may only have shrunk.
    assert 1000 <= during_shutdown <= while_serving
    assert gc.get_freeze_count() == 0
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    # Collected less often while serving; the process's own thresholds once stopped.
    assert thresholds == [(SERVING_GEN0_THRESHOLD, 10, 10)]
    assert gc.get_threshold() == (700, 10, 10)


async def test_freeze_gc_false_leaves_the_collector_alone(unfrozen: None) -> None:
    app = App(Sample, SampleService(), freeze_gc=False)
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    counts: list[int] = []

    gc.set_threshold(700, 10, 10)

    async def receive() -> dict[str, Any]:
        counts.append(gc.get_freeze_count())
        assert gc.get_threshold() == (700, 10, 10)
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        return None

    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)  # type: ignore[arg-type]
    assert counts == [0, 0]


async def test_failed_startup_freezes_nothing(unfrozen: None) -> None:
    async def broken() -> None:
        raise RuntimeError("no")

    sent = await run(App(Sample, SampleService(), on_startup=[broken]), "startup")
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert gc.get_freeze_count() == 0
