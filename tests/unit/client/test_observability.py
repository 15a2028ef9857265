"""One CLIENT span, one duration sample and, on failure, one log line per attempt.

These clients do not retry, so every call here is one attempt; how retried calls show
up is in ``test_retries.py``.
"""

from __future__ import annotations

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from accord.errors import RemoteError, Timeout, TransportError, UnexpectedResponse
from accord.observability.telemetry import Telemetry
from tests.unit.client.catalog import ITEM, Catalog, ItemRef, Line, Nap, OutOfStock, PlaceOrder
from tests.unit.client.conftest import CapturingLogger, Recorder

pytestmark = pytest.mark.anyio

ORDER = PlaceOrder(lines=[Line(sku="A-1", qty=1)])


def client(transport: httpx.AsyncBaseTransport, telemetry: Telemetry) -> Catalog:
    return Catalog.client(
        "http://catalog.test:8080", transport=transport, telemetry=telemetry, retry=None
    )


def only_client_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert len(spans) == 1
    return spans[0]


def traceparent_ids(request: httpx.Request) -> tuple[int, int]:
    _, trace_id, span_id, _ = request.headers["traceparent"].split("-")
    return int(trace_id, 16), int(span_id, 16)


async def test_the_client_span_is_a_child_of_the_current_span_and_is_propagated(
    recorder: Recorder,
    transport: httpx.MockTransport,
    telemetry: Telemetry,
    exporter: InMemorySpanExporter,
) -> None:
    recorder.respond = lambda _: httpx.Response(200, json=ITEM)
    async with client(transport, telemetry) as c:
        with telemetry.tracer.start_as_current_span("handle order") as caller:
            await c.get_item(ItemRef(sku="A/1"))
    span = only_client_span(exporter)
    parent = caller.get_span_context()
    assert span.parent is not None
    assert span.parent.span_id == parent.span_id
    assert span.context.trace_id == parent.trace_id
    assert traceparent_ids(recorder.last) == (span.context.trace_id, span.context.span_id)


async def test_the_span_follows_the_http_client_conventions(
    recorder: Recorder,
    transport: httpx.MockTransport,
    telemetry: Telemetry,
    exporter: InMemorySpanExporter,
) -> None:
    recorder.respond = lambda _: httpx.Response(200, json=ITEM)
    async with client(transport, telemetry) as c:
        await c.get_item(ItemRef(sku="A/1"))
    span = only_client_span(exporter)
    assert span.name == "GET /v1/items/{sku}"
    assert span.parent is None
    assert dict(span.attributes or {}) == {
        "http.request.method": "GET",
        "server.address": "catalog.test",
        "server.port": 8080,
        "url.full": "http://catalog.test:8080/v1/items/A%2F1",
        "url.template": "/v1/items/{sku}",
        "accord.operation": "catalog.get_item",
        "http.response.status_code": 200,
    }
    assert span.status.status_code is StatusCode.UNSET


async def test_a_server_error_marks_the_span_as_an_error(
    recorder: Recorder,
    transport: httpx.MockTransport,
    telemetry: Telemetry,
    exporter: InMemorySpanExporter,
) -> None:
    recorder.respond = lambda _: httpx.Response(503, text="busy")
    async with client(transport, telemetry) as c:
        with pytest.raises(RemoteError):
            await c.get_item(ItemRef(sku="A-1"))
    span = only_client_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "http_503"
    assert span.attributes["http.response.status_code"] == 503


async def test_a_declared_business_error_is_typed_and_marks_the_client_span_error(
    recorder: Recorder,
    transport: httpx.MockTransport,
    telemetry: Telemetry,
    exporter: InMemorySpanExporter,
) -> None:
    recorder.respond = lambda _: httpx.Response(
        409,
        json={"status": 409, "code": "catalog.out_of_stock", "sku": "A-1", "available": 0},
        headers={"content-type": "application/problem+json"},
    )
    async with client(transport, telemetry) as c:
        with pytest.raises(OutOfStock):
            await c.place(ORDER)
    span = only_client_span(exporter)
    assert span.attributes is not None
    assert span.attributes["error.type"] == "catalog.out_of_stock"
    assert span.status.status_code is StatusCode.ERROR


@pytest.mark.parametrize(
    ("respond", "error", "error_type"),
    [
        (
            lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused", request=r)),
            TransportError,
            "transport",
        ),
        (lambda _: httpx.Response(200, text="hi"), UnexpectedResponse, "unexpected_response"),
    ],
)
async def test_failures_without_a_usable_answer_are_span_errors(
    recorder: Recorder,
    transport: httpx.MockTransport,
    telemetry: Telemetry,
    exporter: InMemorySpanExporter,
    respond: object,
    error: type[Exception],
    error_type: str,
) -> None:
    recorder.respond = respond  # type: ignore[assignment]
    async with client(transport, telemetry) as c:
        with pytest.raises(error):
            await c.get_item(ItemRef(sku="A-1"))
    span = only_client_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == error_type


async def test_a_timeout_is_a_span_error_and_a_status_0_sample(
    recorder: Recorder,
    transport: httpx.MockTransport,
    telemetry: Telemetry,
    exporter: InMemorySpanExporter,
) -> None:
    async def hang(_: httpx.Request) -> httpx.Response:
        import anyio

        await anyio.sleep(5)
        raise AssertionError("unreachable")

    recorder.respond = hang
    async with client(transport, telemetry) as c:
        with pytest.raises(Timeout):
            await c.nap(Nap(seconds=5), timeout=0.05)
    span = only_client_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "timeout"
    assert "http.response.status_code" not in span.attributes
    assert sample_count(telemetry, "POST", "/v1/nap", "0") == 1


def sample_count(telemetry: Telemetry, method: str, route: str, status: str) -> float | None:
    return telemetry.metrics.registry.get_sample_value(
        "http_client_request_duration_seconds_count",
        {
            "http_request_method": method,
            "http_route": route,
            "http_response_status_code": status,
            "server_address": "catalog.test",
        },
    )


async def test_every_call_is_one_duration_sample_labelled_by_route_template(
    recorder: Recorder, transport: httpx.MockTransport, telemetry: Telemetry
) -> None:
    statuses = iter([200, 200, 404])
    recorder.respond = lambda _: (
        httpx.Response(s, json=ITEM) if (s := next(statuses)) == 200 else httpx.Response(s)
    )
    async with client(transport, telemetry) as c:
        await c.get_item(ItemRef(sku="A-1"))
        await c.get_item(ItemRef(sku="B-2"))
        with pytest.raises(RemoteError):
            await c.get_item(ItemRef(sku="C-3"))
    assert sample_count(telemetry, "GET", "/v1/items/{sku}", "200") == 2
    assert sample_count(telemetry, "GET", "/v1/items/{sku}", "404") == 1


async def test_a_failed_call_logs_one_warning(
    recorder: Recorder, transport: httpx.MockTransport, telemetry: Telemetry
) -> None:
    recorder.respond = lambda _: httpx.Response(
        409,
        json={"status": 409, "code": "catalog.out_of_stock", "detail": "none left"},
        headers={"content-type": "application/problem+json"},
    )
    logger = telemetry.logger
    assert isinstance(logger, CapturingLogger)
    async with client(transport, telemetry) as c:
        with pytest.raises(OutOfStock):
            await c.place(ORDER)
    assert len(logger.records) == 1
    level, event, fields = logger.records[0]
    assert (level, event) == ("warning", "client_call_failed")
    assert fields["operation"] == "catalog.place"
    assert fields["status"] == 409
    assert fields["code"] == "catalog.out_of_stock"
    assert isinstance(fields["duration_ms"], float)
    assert fields["duration_ms"] >= 0


async def test_a_successful_call_logs_nothing(
    recorder: Recorder, transport: httpx.MockTransport, telemetry: Telemetry
) -> None:
    recorder.respond = lambda _: httpx.Response(200, json=ITEM)
    async with client(transport, telemetry) as c:
        await c.get_item(ItemRef(sku="A-1"))
    assert isinstance(telemetry.logger, CapturingLogger)
    assert telemetry.logger.records == []


async def test_without_telemetry_the_callers_trace_still_flows(
    recorder: Recorder, transport: httpx.MockTransport, telemetry: Telemetry
) -> None:
    """A client with no telemetry records nothing but keeps the caller's trace id."""
    recorder.respond = lambda _: httpx.Response(200, json=ITEM)
    async with Catalog.client("http://catalog.test", transport=transport) as c:
        with telemetry.tracer.start_as_current_span("caller") as caller:
            await c.get_item(ItemRef(sku="A-1"))
            assert trace.get_current_span() is caller
    trace_id, span_id = traceparent_ids(recorder.last)
    assert trace_id == caller.get_span_context().trace_id
    assert span_id != caller.get_span_context().span_id
