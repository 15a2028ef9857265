"""Span files written by real SDK tracer providers, one per service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from accord.observability.otlp_json import FileSpanExporter

MS = 1_000_000
#: 2023-11-14 22:13:20 UTC, in nanoseconds.
T0 = 1_700_000_000 * 1_000_000_000

ShopTrace = Callable[..., str]


class _Services:
    """A tracer provider per service, each exporting to ``<folder>/<service>.jsonl``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.providers: dict[str, TracerProvider] = {}

    def tracer(self, service: str) -> trace.Tracer:
        if service not in self.providers:
            provider = TracerProvider(resource=Resource.create({"service.name": service}))
            exporter = FileSpanExporter(self.folder / f"{service}.jsonl")
            provider.add_span_processor(SimpleSpanProcessor(exporter))
            self.providers[service] = provider
        return self.providers[service].get_tracer("accord", "0.1.0")

    def shutdown(self) -> None:
        for provider in self.providers.values():
            provider.shutdown()


def _across(span: trace.Span) -> Context:
    """The context a downstream service extracts from the headers ``span`` sent."""
    propagator = TraceContextTextMapPropagator()
    headers: dict[str, str] = {}
    propagator.inject(headers, context=trace.set_span_in_context(span))
    return propagator.extract(headers)


@pytest.fixture
def shop_trace(tmp_path: Path) -> Iterator[ShopTrace]:
    """Write one order's trace across orders, inventory and payments; return its id.

    orders   SERVER  POST /v1/orders                       0 .. 120 ms
    orders    CLIENT POST inventory /v1/reservations       5 ..  40 ms
    inventory  SERVER POST /v1/reservations                8 ..  38 ms
    orders    CLIENT POST payments /v1/charges            45 .. 115 ms  ERROR
    payments   SERVER POST /v1/charges                    47 .. 110 ms  ERROR
    """
    services: list[_Services] = []

    def write(folder: Path | None = None, *, start: int = T0) -> str:
        s = _Services(folder or tmp_path / "telemetry")
        services.append(s)
        orders, inventory, payments = (s.tracer(n) for n in ("orders", "inventory", "payments"))
        root = orders.start_span("POST /v1/orders", kind=SpanKind.SERVER, start_time=start)
        in_root = trace.set_span_in_context(root)
        reserve = orders.start_span(
            "POST inventory /v1/reservations",
            context=in_root,
            kind=SpanKind.CLIENT,
            start_time=start + 5 * MS,
        )
        served = inventory.start_span(
            "POST /v1/reservations",
            context=_across(reserve),
            kind=SpanKind.SERVER,
            start_time=start + 8 * MS,
        )
        served.end(start + 38 * MS)
        reserve.end(start + 40 * MS)
        charge = orders.start_span(
            "POST payments /v1/charges",
            context=in_root,
            kind=SpanKind.CLIENT,
            start_time=start + 45 * MS,
        )
        charge.set_status(Status(StatusCode.ERROR, "payments.declined"))
        charged = payments.start_span(
            "POST /v1/charges",
            context=_across(charge),
            kind=SpanKind.SERVER,
            start_time=start + 47 * MS,
        )
        charged.set_status(Status(StatusCode.ERROR, "card declined"))
        charged.end(start + 110 * MS)
        charge.end(start + 115 * MS)
        root.set_status(Status(StatusCode.OK))
        root.end(start + 120 * MS)
        s.shutdown()
        return f"{root.get_span_context().trace_id:032x}"

    yield write
    for s in services:
        s.shutdown()
