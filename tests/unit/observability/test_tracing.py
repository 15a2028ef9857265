"""The cheap paths of tracing give what the SDK's own paths give."""

from __future__ import annotations

import random
from typing import Any

import pytest
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import (
    INVALID_SPAN,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    TraceFlags,
    TraceState,
    set_span_in_context,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from accord.observability.tracing import ParentBasedRatio, sampler_from_env, set_valid_attributes

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


def _parents() -> list[Context | None]:
    remote = TraceContextTextMapPropagator()
    contexts: list[Context | None] = [None, Context()]
    for flags in ("01", "00"):
        header = f"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-{flags}"
        contexts.append(remote.extract({"traceparent": header, "tracestate": "k=v"}))
        contexts.append(remote.extract({"traceparent": header}))
        local = SpanContext(0xAB, 0xCD, is_remote=False, trace_flags=TraceFlags(int(flags)))
        contexts.append(set_span_in_context(NonRecordingSpan(local)))
        state = TraceState([("k", "v")])
        local = SpanContext(0xAB, 0xCD, False, TraceFlags(int(flags)), trace_state=state)
        contexts.append(set_span_in_context(NonRecordingSpan(local)))
    return contexts


@pytest.mark.parametrize("ratio", [0.0, 0.1, 0.5, 1.0])
def test_parent_based_ratio_decides_as_the_sdk_composition(ratio: float) -> None:
    ours, sdk = ParentBasedRatio(ratio), ParentBased(TraceIdRatioBased(ratio))
    assert ours.get_description() == sdk.get_description()
    rng = random.Random(7)
    for parent in _parents():
        for attributes in (None, {"a": 1}):
            for _ in range(300):
                trace_id = rng.getrandbits(128)
                got = ours.should_sample(parent, trace_id, "s", SpanKind.SERVER, attributes)
                want = sdk.should_sample(parent, trace_id, "s", SpanKind.SERVER, attributes)
                assert got.decision == want.decision
                assert dict(got.attributes) == dict(want.attributes)
                assert got.trace_state == want.trace_state


def test_the_default_sampler_samples_about_a_tenth_of_roots() -> None:
    sampler = sampler_from_env({})
    assert isinstance(sampler, ParentBasedRatio)
    rng = random.Random(3)
    sampled = sum(
        sampler.should_sample(None, rng.getrandbits(128), "s").decision.is_sampled()
        for _ in range(20_000)
    )
    assert 1_800 < sampled < 2_200
