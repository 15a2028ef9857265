"""The three services in one process: one trace spans orders → inventory and payments.

Each service gets its own Telemetry (its own tracer provider and resource), all
exporting to one in-memory exporter; orders reaches the others through
``httpx.ASGITransport``, so every hop is real HTTP handling without sockets.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from opentelemetry.trace import SpanKind

from accord.config.load import from_environment
from accord.observability.telemetry import Telemetry
from shop.inventory import bootstrap as inventory
from shop.orders import bootstrap as orders
from shop.orders.contract import OrderItem, Orders, PlaceOrder
from shop.payments import bootstrap as payments
from tests.support.asgi import lifespan


@dataclass
class Shop:
    client: Orders
    exporter: InMemorySpanExporter
    caller: Telemetry


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[Shop]:
    exporter = InMemorySpanExporter()
    # About traces, not tokens: the services run without authentication.
    env = {"ACCORD_HOME": str(tmp_path), "ACCORD_AUTH": "off"}

    def telemetry(name: str) -> Telemetry:
        return Telemetry.configure(
            name,
            "1.0.0",
            home=tmp_path,
            log_stream=io.StringIO(),
            span_exporter=exporter,
            sampler=ALWAYS_ON,
            simple_processor=True,
        )

    inv = inventory.create_app(
        from_environment(inventory.Settings, "inventory", env), telemetry=telemetry("inventory")
    )
    pay = payments.create_app(
        from_environment(payments.Settings, "payments", env), telemetry=telemetry("payments")
    )
    ords = orders.create_app(
        from_environment(orders.Settings, "orders", env),
        telemetry=telemetry("orders"),
        inventory_transport=httpx.ASGITransport(app=inv),
        payments_transport=httpx.ASGITransport(app=pay),
    )
    caller = telemetry("caller")
    async with (
        lifespan(inv),
        lifespan(pay),
        lifespan(ords),
        Orders.client(
            "http://orders", transport=httpx.ASGITransport(app=ords), telemetry=caller
        ) as client,
    ):
        yield Shop(client, exporter, caller)


def _service(span: ReadableSpan) -> str:
    return str(span.resource.attributes["service.name"])


@pytest.mark.anyio
async def test_one_trace_spans_the_three_services_with_correct_parents(shop: Shop) -> None:
    with shop.caller.tracer.start_as_current_span("place an order") as root:
        order = await shop.client.place_order(
            PlaceOrder(
                customer_id="c-trace",
                items=[OrderItem(sku="SKU-APPLE", quantity=2)],
                card_token="tok_visa_4242",
            )
        )
    assert order.status == "confirmed"
    trace_id = root.get_span_context().trace_id
    spans = [s for s in shop.exporter.get_finished_spans() if s.context.trace_id == trace_id]
    by_id = {s.context.span_id: s for s in spans}
    assert {_service(s) for s in spans} == {"caller", "orders", "inventory", "payments"}

    root_id = root.get_span_context().span_id
    for span in spans:
        if span.context.span_id != root_id:
            assert span.parent is not None and span.parent.span_id in by_id, span.name

    servers = {
        _service(s): s for s in spans if s.kind is SpanKind.SERVER and _service(s) == "orders"
    }
    orders_server = servers["orders"]
    assert orders_server.name == "POST /v1/orders"
    assert by_id[orders_server.parent.span_id].kind is SpanKind.CLIENT  # the caller's client span

    for downstream in ("inventory", "payments"):
        downstream_servers = [
            s for s in spans if s.kind is SpanKind.SERVER and _service(s) == downstream
        ]
        assert downstream_servers, downstream
        for server in downstream_servers:
            client_span = by_id[server.parent.span_id]
            assert client_span.kind is SpanKind.CLIENT
            assert _service(client_span) == "orders"
            assert client_span.parent.span_id == orders_server.context.span_id
            assert client_span.name.split(" ", 1)[1] == server.name.split(" ", 1)[1]
