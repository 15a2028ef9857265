"""``set_valid_attributes``: the same attributes as the SDK's way, for less."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import INVALID_SPAN

from accord.observability.tracing import set_valid_attributes

SERVER: dict[str, str | int] = {
    "http.request.method": "POST",
    "url.path": "/v1/orders",
    "http.response.status_code": 201,
    "server.port": 8000,
}


def _finished(limits: SpanLimits | None = None, **attrs: Any) -> tuple[ReadableSpan, Any]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(span_limits=limits)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    span = provider.get_tracer("t").start_span("s", attributes=attrs or None)
    return span, memory


def _set_and_end(limits: SpanLimits | None = None, **attrs: Any) -> ReadableSpan:
    span, memory = _finished(limits, **attrs)
    set_valid_attributes(span, SERVER)
    span.end()
    (done,) = memory.get_finished_spans()
    return done


def test_same_attributes_as_set_attributes() -> None:
    done = _set_and_end()
    assert dict(done.attributes or {}) == SERVER
    assert done.dropped_attributes == 0


def test_a_key_set_again_takes_the_new_value_at_the_end() -> None:
    done = _set_and_end(**{"url.path": "/old", "app.thing": "x"})
    attributes = dict(done.attributes or {})
    assert attributes["url.path"] == "/v1/orders"
    assert list(attributes) == ["app.thing", *SERVER]


def test_limits_are_applied_the_sdk_way() -> None:
    short = _set_and_end(SpanLimits(max_span_attribute_length=3))
    assert (short.attributes or {})["url.path"] == "/v1"
    few = _set_and_end(SpanLimits(max_span_attributes=2))
    assert dict(few.attributes or {}) == {"http.response.status_code": 201, "server.port": 8000}
    assert few.dropped_attributes == 2


def test_ended_and_non_recording_spans_are_left_alone() -> None:
    span, memory = _finished()
    span.end()
    set_valid_attributes(span, SERVER)
    (done,) = memory.get_finished_spans()
    assert dict(done.attributes or {}) == {}
    assert dict(span.attributes or {}) == {}
    set_valid_attributes(INVALID_SPAN, SERVER)  # no error, nothing to set
