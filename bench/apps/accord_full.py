"""accord with everything on: contract validation, tracing, metrics, JSON logs, correlation.

The app is what a real accord service runs: an accord ``Contract`` with two operations,
served by ``accord.runtime.App`` with ``Telemetry.configure(...)``. Spans go to
``<dir>/telemetry/bench.jsonl`` through the batch processor and request lines to
``<dir>/requests.log``, where ``<dir>`` is ``$BENCH_TELEMETRY_DIR`` (a new temporary
folder when unset). The sampler is OpenTelemetry's, from ``OTEL_TRACES_SAMPLER``: unset,
it is accord's default (parent-based, 10% of root traces); ``always_on`` traces all.

Operations are served under the contract's ``/v1`` prefix.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Annotated

import msgspec

from accord import Contract, Idempotency, operation
from accord.observability.telemetry import Telemetry
from accord.runtime import App

__all__ = ["PATHS", "Bench", "BenchService", "configure_telemetry", "create_app"]

#: Endpoint name → URL path.
PATHS = {"ping": "/v1/ping", "order": "/v1/orders"}


class Ping(msgspec.Struct):
    """The ping takes nothing."""


class Pong(msgspec.Struct):
    """The ping answer."""

    ok: bool


class Item(msgspec.Struct):
    """One line of an order."""

    sku: str
    qty: Annotated[int, msgspec.Meta(gt=0)]


class PlaceOrder(msgspec.Struct):
    """The order a client sends."""

    customer_id: str
    items: Annotated[list[Item], msgspec.Meta(min_length=1, max_length=50)]
    note: str | None = None


class OrderPlaced(msgspec.Struct):
    """What the server answers."""

    order_id: str
    total_items: int


class Bench(Contract, name="bench", version="1.0.0"):
    """The benchmark's two endpoints."""

    ping = operation(Ping, Pong, method="GET", path="/ping", idempotency=Idempotency.READ_ONLY)
    place_order = operation(PlaceOrder, OrderPlaced, method="POST", path="/orders", status=201)


class BenchService:
    """The implementation: as little work as the peers do."""

    async def ping(self, request: Ping) -> Pong:
        """Answer ``{"ok": true}``."""
        return Pong(ok=True)

    async def place_order(self, request: PlaceOrder) -> OrderPlaced:
        """Give the order an id and count its items."""
        return OrderPlaced(
            order_id=uuid.uuid4().hex, total_items=sum(item.qty for item in request.items)
        )


def configure_telemetry() -> Telemetry:
    """Real telemetry, its files under ``$BENCH_TELEMETRY_DIR`` (read once, here)."""
    folder = os.environ.get("BENCH_TELEMETRY_DIR") or tempfile.mkdtemp(prefix="accord-bench-")
    home = Path(folder)
    home.mkdir(parents=True, exist_ok=True)
    log_stream = open(home / "requests.log", "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    return Telemetry.configure(Bench.name, Bench.version, home=home, log_stream=log_stream)


def create_app() -> App:
    """The accord app with real telemetry (this is the composition root)."""
    return App(Bench, BenchService(), telemetry=configure_telemetry())
