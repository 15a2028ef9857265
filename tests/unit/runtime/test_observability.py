"""Every request is traced, measured and logged; trace context and correlation flow in."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from opentelemetry import baggage, trace
from opentelemetry.trace import SpanKind, StatusCode

from accord.observability.context import correlation_id
from accord.runtime import App
from tests.unit.runtime.conftest import Observed
from tests.unit.runtime.sample import GetOrder, Order, Sample, SampleService

pytestmark = pytest.mark.anyio

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"
LINE_FIELDS = {
    "ts",
    "level",
    "event",
    "service",
    "version",
    "trace_id",
    "span_id",
    "correlation_id",
}
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class Spy(SampleService):
    """Records what the implementation sees while it runs."""

    def __init__(self, observed: Observed) -> None:
        super().__init__()
        self.logger = observed.telemetry.logger
        self.context: dict[str, Any] = {}

    async def get_order(self, request: GetOrder) -> Order:
        span = trace.get_current_span()
        self.context = {
            "trace_id": format(span.get_span_context().trace_id, "032x"),
            "span_id": format(span.get_span_context().span_id, "016x"),
            "baggage": baggage.get_baggage("tenant"),
            "correlation_id": correlation_id.get(),
        }
        self.logger.info("order_read", order_id=request.order_id)
        return await super().get_order(request)


@pytest.fixture
def spy(observed: Observed) -> Spy:
    return Spy(observed)


@pytest.fixture
async def spied(observed: Observed, spy: Spy) -> Any:
    app = App(Sample, spy, telemetry=observed.telemetry)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


async def test_traceparent_makes_the_server_span_a_child(
    spied: httpx.AsyncClient, observed: Observed, spy: Spy
) -> None:
    response = await spied.get(
        "/v1/orders/7",
        headers={
            "traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01",
            "baggage": "tenant=acme",
            "user-agent": "spec/1.0",
        },
    )
    assert response.status_code == 200
    (span,) = observed.spans.get_finished_spans()
    assert span.kind is SpanKind.SERVER
    assert span.name == "GET /v1/orders/{order_id}"
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.parent is not None
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert span.parent.is_remote
    attributes = dict(span.attributes or {})
    assert attributes["http.request.method"] == "GET"
    assert attributes["http.route"] == "/v1/orders/{order_id}"
    assert attributes["url.path"] == "/v1/orders/7"
    assert attributes["url.scheme"] == "http"
    assert attributes["http.response.status_code"] == 200
    assert attributes["client.address"] == "127.0.0.1"
    assert attributes["user_agent.original"] == "spec/1.0"
    assert "server.address" in attributes
    assert spy.context["trace_id"] == TRACE_ID
    assert spy.context["span_id"] == format(span.context.span_id, "016x")
    assert spy.context["baggage"] == "acme"


async def test_without_traceparent_a_new_trace_starts(
    client: httpx.AsyncClient, observed: Observed
) -> None:
    await client.get("/v1/orders/7")
    (span,) = observed.spans.get_finished_spans()
    assert span.parent is None
    assert span.context.trace_id != int(TRACE_ID, 16)


async def test_server_errors_mark_the_span(client: httpx.AsyncClient, observed: Observed) -> None:
    await client.post("/v1/explode", json={})
    await client.get("/nowhere")
    failed, unmatched = observed.spans.get_finished_spans()
    assert failed.status.status_code is StatusCode.ERROR
    assert (failed.attributes or {})["error.type"] == "RuntimeError"
    assert unmatched.name == "GET"
    assert "http.route" not in (unmatched.attributes or {})
    assert unmatched.status.status_code is StatusCode.UNSET


async def test_unsampled_requests_record_no_span_attributes(
    observed: Observed,
) -> None:
    from accord.observability import Telemetry

    telemetry = Telemetry.configure(
        "sample",
        "1.2.0",
        log_stream=observed.stream,
        environ={"OTEL_TRACES_SAMPLER": "always_off"},
        span_exporter=observed.spans,
        simple_processor=True,
    )
    app = App(Sample, SampleService(), telemetry=telemetry)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/v1/orders/1", headers={"x-correlation-id": "abc"})
    assert response.status_code == 200
    assert observed.spans.get_finished_spans() == ()
    telemetry.flush()
    assert '"trace_id":"' in observed.stream.getvalue()
    telemetry.shutdown()


async def test_correlation_id_is_accepted_and_returned(spied: httpx.AsyncClient, spy: Spy) -> None:
    response = await spied.get("/v1/orders/7", headers={"x-correlation-id": "flow-42"})
    assert response.headers["x-correlation-id"] == "flow-42"
    assert spy.context["correlation_id"] == "flow-42"
    assert correlation_id.get() is None


async def test_correlation_id_is_created_when_missing_or_unusable(
    client: httpx.AsyncClient,
) -> None:
    created = (await client.get("/v1/orders/7")).headers["x-correlation-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", created)
    replaced = await client.get("/v1/orders/7", headers={"x-correlation-id": "a b"})
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-correlation-id"])
    assert replaced.headers["x-correlation-id"] != created


async def test_request_and_application_lines_carry_the_same_fields(
    spied: httpx.AsyncClient, observed: Observed
) -> None:
    await spied.get(
        "/v1/orders/7",
        headers={"x-correlation-id": "flow-1", "traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"},
    )
    await spied.get("/v1/orders/missing")
    lines = observed.lines()
    app_line = next(line for line in lines if line["event"] == "order_read")
    ok, missing = observed.requests()
    for line in (app_line, ok, missing):
        assert set(line) >= LINE_FIELDS
        assert RFC3339_UTC.match(line["ts"]), line["ts"]
        assert line["service"] == "sample"
        assert line["version"] == "1.2.0"
        assert re.fullmatch(r"[0-9a-f]{32}", line["trace_id"])
        assert re.fullmatch(r"[0-9a-f]{16}", line["span_id"])
    assert app_line["trace_id"] == ok["trace_id"] == TRACE_ID
    assert app_line["span_id"] == ok["span_id"]
    assert app_line["correlation_id"] == ok["correlation_id"] == "flow-1"
    assert app_line["order_id"] == "7"
    assert ok["method"] == "GET"
    assert ok["route"] == "/v1/orders/{order_id}"
    assert ok["path"] == "/v1/orders/7"
    assert ok["status"] == 200
    assert ok["duration_ms"] >= 0
    assert "code" not in ok
    assert missing["status"] == 404
    assert missing["code"] == "sample.unknown_order"
