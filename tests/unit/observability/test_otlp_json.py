"""OTLP/JSON lines: the shape of what is written, and reading it back."""

from __future__ import annotations

import base64
import enum
import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as encode_pb
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from accord.observability import _otlp_encoder, otlp_json
from accord.observability.otlp_json import (
    FileSpanExporter,
    InvalidLine,
    SpanRecord,
    decode_line,
    encode_spans,
)

ATTRS: dict[str, Any] = {
    "http.request.method": "POST",
    "http.response.status_code": 201,
    "retry": False,
    "ratio": 0.25,
    "not.a.number": math.inf,
    "tags": ["a", "b"],
    "sizes": [1, 2, 3],
    "flags": [True, False],
    "weights": [0.5, 1.5],
}
REMOTE_PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def _spans(path: Path) -> tuple[list[ReadableSpan], TracerProvider]:
    """Spans of every flavour, exported through a FileSpanExporter to ``path``."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create({"service.name": "orders", "service.version": "1.2.3"})
    )
    provider.add_span_processor(SimpleSpanProcessor(FileSpanExporter(path)))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("accord", "0.1.0")
    other = provider.get_tracer("shop.orders")
    with tracer.start_as_current_span("POST /v1/orders", kind=SpanKind.SERVER, attributes=ATTRS):
        with tracer.start_as_current_span("earlier") as earlier:
            pass
        with tracer.start_as_current_span(
            "POST payments /v1/charges",
            kind=SpanKind.CLIENT,
            links=[Link(earlier.get_span_context(), {"link.reason": "retry of"})],
        ) as child:
            child.add_event("retry", {"attempt": 2, "delay.s": 0.1})
            child.set_status(Status(StatusCode.ERROR, "payments.declined"))
        with other.start_as_current_span("place order", kind=SpanKind.INTERNAL) as ok:
            ok.set_status(Status(StatusCode.OK))
    remote = TraceContextTextMapPropagator().extract({"traceparent": REMOTE_PARENT})
    with tracer.start_as_current_span("consume", context=remote, kind=SpanKind.CONSUMER):
        pass
    with tracer.start_as_current_span("publish", kind=SpanKind.PRODUCER):
        pass
    return list(memory.get_finished_spans()), provider


@pytest.fixture
def written(tmp_path: Path) -> tuple[list[ReadableSpan], list[bytes]]:
    path = tmp_path / "deep" / "er" / "orders.jsonl"
    spans, provider = _spans(path)
    provider.shutdown()
    return spans, path.read_bytes().splitlines(keepends=True)


def _all_spans(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for rs in doc["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]


def test_one_line_per_export_each_a_request(written: Any) -> None:
    spans, lines = written
    assert len(lines) == len(spans) == 6  # SimpleSpanProcessor: one export per span
    for line in lines:
        assert line.endswith(b"\n") and b"\n" not in line[:-1]
        doc = json.loads(line)
        assert list(doc) == ["resourceSpans"]
        (rs,) = doc["resourceSpans"]
        resource = {a["key"]: a["value"] for a in rs["resource"]["attributes"]}
        assert resource["service.name"] == {"stringValue": "orders"}
        assert resource["service.version"] == {"stringValue": "1.2.3"}


def test_span_fields(written: Any) -> None:
    spans, lines = written
    by_name = {s["name"]: s for line in lines for s in _all_spans(json.loads(line))}
    sdk = {s.name: s for s in spans}
    for name, span in by_name.items():
        ctx = sdk[name].get_span_context()
        assert span["traceId"] == f"{ctx.trace_id:032x}"
        assert len(span["traceId"]) == 32 and span["traceId"] == span["traceId"].lower()
        assert span["spanId"] == f"{ctx.span_id:016x}" and len(span["spanId"]) == 16
        assert span["startTimeUnixNano"] == str(sdk[name].start_time)
        assert span["endTimeUnixNano"] == str(sdk[name].end_time)
        assert isinstance(span["flags"], int) and span["flags"] & 0x100
    kinds = {name: s["kind"] for name, s in by_name.items()}
    assert kinds == {
        "POST /v1/orders": 2,
        "earlier": 1,
        "POST payments /v1/charges": 3,
        "place order": 1,
        "consume": 5,
        "publish": 4,
    }
    root, child = by_name["POST /v1/orders"], by_name["POST payments /v1/charges"]
    assert "parentSpanId" not in root
    assert child["parentSpanId"] == root["spanId"]
    assert root["status"] == {"code": 0}
    assert child["status"] == {"code": 2, "message": "payments.declined"}
    assert by_name["place order"]["status"] == {"code": 1}
    # The remote parent is recorded as such (SpanFlags bit 9) and kept as the parent.
    consume = by_name["consume"]
    assert consume["parentSpanId"] == "b7ad6b7169203331"
    assert consume["traceId"] == "0af7651916cd43dd8448eb211c80319c"
    assert consume["flags"] & 0x200 and not root["flags"] & 0x200


def test_attribute_values(written: Any) -> None:
    _, lines = written
    (root,) = [
        s for line in lines for s in _all_spans(json.loads(line)) if s["name"] == "POST /v1/orders"
    ]
    values = {a["key"]: a["value"] for a in root["attributes"]}
    assert values == {
        "http.request.method": {"stringValue": "POST"},
        "http.response.status_code": {"intValue": "201"},
        "retry": {"boolValue": False},
        "ratio": {"doubleValue": 0.25},
        "not.a.number": {"doubleValue": "Infinity"},
        "tags": {"arrayValue": {"values": [{"stringValue": "a"}, {"stringValue": "b"}]}},
        "sizes": {"arrayValue": {"values": [{"intValue": str(i)} for i in (1, 2, 3)]}},
        "flags": {"arrayValue": {"values": [{"boolValue": True}, {"boolValue": False}]}},
        "weights": {"arrayValue": {"values": [{"doubleValue": 0.5}, {"doubleValue": 1.5}]}},
    }


def test_events_links_and_scope(written: Any) -> None:
    _, lines = written
    docs = [json.loads(line) for line in lines]
    child = next(s for d in docs for s in _all_spans(d) if s["name"].startswith("POST pay"))
    earlier = next(s for d in docs for s in _all_spans(d) if s["name"] == "earlier")
    (event,) = child["events"]
    assert event["name"] == "retry" and event["timeUnixNano"].isdigit()
    assert event["attributes"] == [
        {"key": "attempt", "value": {"intValue": "2"}},
        {"key": "delay.s", "value": {"doubleValue": 0.1}},
    ]
    (link,) = child["links"]
    assert link["traceId"] == earlier["traceId"] and link["spanId"] == earlier["spanId"]
    assert link["attributes"] == [{"key": "link.reason", "value": {"stringValue": "retry of"}}]
    scopes = {
        ss["scope"]["name"]: ss["scope"]
        for d in docs
        for rs in d["resourceSpans"]
        for ss in rs["scopeSpans"]
    }
    assert scopes == {
        "accord": {"name": "accord", "version": "0.1.0"},
        "shop.orders": {"name": "shop.orders"},
    }
    assert "events" not in earlier and "links" not in earlier and "attributes" not in earlier


def _as_proto(line: bytes) -> ExportTraceServiceRequest:
    """Parse a line with protobuf's JSON mapping (which wants base64 ids, not hex)."""
    doc = json.loads(line)

    def b64(value: str) -> str:
        return base64.b64encode(bytes.fromhex(value)).decode()

    for span in _all_spans(doc):
        for key in ("traceId", "spanId", "parentSpanId"):
            if key in span:
                span[key] = b64(span[key])
        span["flags"] &= ~0xFF  # the reference encoder leaves the W3C trace flags out
        for link in span.get("links", []):
            link["traceId"], link["spanId"] = b64(link["traceId"]), b64(link["spanId"])
            link["flags"] &= ~0xFF
    return json_format.ParseDict(doc, ExportTraceServiceRequest())


def test_same_message_as_the_reference_protobuf_encoder(tmp_path: Path) -> None:
    spans, provider = _spans(tmp_path / "ignored.jsonl")
    provider.shutdown()
    ours = _as_proto(encode_spans(spans))
    assert ours == encode_pb(spans)
    assert len(ours.resource_spans[0].scope_spans) == 2  # grouped by scope


def test_decode_line_round_trips(written: Any) -> None:
    spans, lines = written
    records = {r.name: r for line in lines for r in decode_line(line)}
    assert len(records) == len(spans)
    for span in spans:
        record = records[span.name]
        ctx = span.get_span_context()
        assert record.trace_id == f"{ctx.trace_id:032x}"
        assert record.span_id == f"{ctx.span_id:016x}"
        expected_parent = f"{span.parent.span_id:016x}" if span.parent else None
        assert record.parent_span_id == expected_parent
        assert record.kind == span.kind.name
        assert record.service == "orders"
        assert (record.start_ns, record.end_ns) == (span.start_time, span.end_time)
        assert record.status_code == span.status.status_code.name
        assert record.status_message == (span.status.description or "")
        expected = {k: list(v) if isinstance(v, tuple) else v for k, v in span.attributes.items()}
        assert record.attributes == expected
    assert records["POST payments /v1/charges"].status_message == "payments.declined"
    assert records["POST /v1/orders"].attributes["not.a.number"] == math.inf


def test_decode_accepts_other_writers() -> None:
    trace_id = bytes.fromhex("5b8efff798038103d269b633813fc60c")
    line = json.dumps(
        {
            "resourceSpans": [
                {
                    "resource": {},
                    "scopeSpans": [
                        {
                            "spans": [
                                {
                                    "traceId": "5B8EFFF798038103D269B633813FC60C",
                                    "spanId": "EEE19B7EC3C1B174",
                                    "parentSpanId": "",
                                    "name": "numbers and names",
                                    "kind": "SPAN_KIND_SERVER",
                                    "startTimeUnixNano": 1544712660000000000,
                                    "endTimeUnixNano": "1544712661000000000",
                                    "attributes": [
                                        {"key": "n", "value": {"intValue": 3}},
                                        {"key": "d", "value": {"doubleValue": "NaN"}},
                                        {
                                            "key": "kv",
                                            "value": {
                                                "kvlistValue": {
                                                    "values": [
                                                        {"key": "x", "value": {"stringValue": "y"}}
                                                    ]
                                                }
                                            },
                                        },
                                        {"key": "empty"},
                                    ],
                                    "status": {"code": "STATUS_CODE_ERROR", "message": "no"},
                                },
                                {
                                    "traceId": base64.b64encode(trace_id).decode(),
                                    "spanId": base64.b64encode(b"\x01" * 8).decode(),
                                    "parentSpanId": "eee19b7ec3c1b174",
                                    "name": "base64 ids",
                                    "kind": 3,
                                    "unknownField": {"is": "ignored"},
                                },
                            ]
                        }
                    ],
                }
            ]
        }
    ).encode()
    first, second = decode_line(line)
    assert first.trace_id == trace_id.hex() and first.span_id == "eee19b7ec3c1b174"
    assert first.parent_span_id is None and first.kind == "SERVER"
    assert (first.start_ns, first.end_ns) == (1544712660000000000, 1544712661000000000)
    assert first.service == "unknown_service"
    assert first.status_code == "ERROR" and first.status_message == "no"
    assert first.attributes["n"] == 3 and math.isnan(first.attributes["d"])
    assert first.attributes["kv"] == {"x": "y"} and first.attributes["empty"] is None
    assert second.trace_id == trace_id.hex() and second.span_id == "01" * 8
    assert second.parent_span_id == first.span_id and second.kind == "CLIENT"
    assert second.status_code == "UNSET" and second.duration_ns == 0


@pytest.mark.parametrize(
    "line",
    [
        b"not json\n",
        b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "ab", "spanId": "cd"}]}]}]}',
        b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "no ids"}]}]}]}',
        b'{"resourceSpans": "nope"}',
        b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "'
        + b"a" * 32
        + b'", "spanId": "'
        + b"b" * 16
        + b'", "startTimeUnixNano": "soon"}]}]}]}',
        b'{"resourceSpans":[{"resource":{"attri',  # cut short by a writer still at work
    ],
)
def test_decode_rejects(line: bytes) -> None:
    with pytest.raises(InvalidLine):
        decode_line(line)


def _records(path: Path) -> list[SpanRecord]:
    return [r for line in path.read_bytes().splitlines() for r in decode_line(line)]


def test_big_batches_become_several_lines(tmp_path: Path) -> None:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("t")
    for i in range(1100):
        with tracer.start_as_current_span(f"s{i}"):
            pass
    exporter = FileSpanExporter(tmp_path / "big.jsonl")
    assert exporter.export(memory.get_finished_spans()) is SpanExportResult.SUCCESS
    lines = (tmp_path / "big.jsonl").read_bytes().splitlines()
    assert [len(decode_line(line)) for line in lines] == [512, 512, 76]
    assert [r.name for r in _records(tmp_path / "big.jsonl")] == [f"s{i}" for i in range(1100)]


def test_partial_writes_are_finished(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write
    calls: list[int] = []

    def trickle(fd: int, data: Any) -> int:
        calls.append(fd)
        return real_write(fd, bytes(data[:7]))

    spans, provider = _spans(tmp_path / "unused.jsonl")
    provider.shutdown()
    exporter = FileSpanExporter(tmp_path / "trickle.jsonl")
    monkeypatch.setattr(otlp_json.os, "write", trickle)
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    monkeypatch.undo()
    assert len(calls) > 100
    names = sorted(r.name for r in _records(tmp_path / "trickle.jsonl"))
    assert names == sorted(s.name for s in spans)


def test_failures_are_results_not_exceptions(tmp_path: Path) -> None:
    spans, provider = _spans(tmp_path / "ok.jsonl")
    provider.shutdown()
    (tmp_path / "a-file").write_text("")
    blocked = FileSpanExporter(tmp_path / "a-file" / "spans.jsonl")
    assert blocked.export(spans) is SpanExportResult.FAILURE
    exporter = FileSpanExporter(tmp_path / "ok2.jsonl")
    assert exporter.export([]) is SpanExportResult.SUCCESS
    assert exporter.export(spans[:1]) is SpanExportResult.SUCCESS
    assert exporter.force_flush() is True
    exporter.shutdown()
    exporter.shutdown()  # twice is fine
    assert exporter.export(spans) is SpanExportResult.FAILURE
    assert len(_records(tmp_path / "ok2.jsonl")) == 1


def test_exporter_behind_a_tracer_provider_appends(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_bytes(b"")
    for _ in range(2):  # two runs of a service append to one file
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(FileSpanExporter(path)))
        with provider.get_tracer("t").start_as_current_span("run"):
            trace.get_current_span().set_attribute("x", 1)
        provider.shutdown()
    assert [r.name for r in _records(path)] == ["run", "run"]


def test_behind_a_batch_span_processor(tmp_path: Path) -> None:
    path = tmp_path / "telemetry" / "orders.jsonl"
    provider = TracerProvider(resource=Resource.create({"service.name": "orders"}))
    provider.add_span_processor(BatchSpanProcessor(FileSpanExporter(path)))
    tracer = provider.get_tracer("accord")
    for i in range(50):
        with tracer.start_as_current_span(f"op{i}"):
            pass
    provider.shutdown()  # flushes what is still buffered
    records = _records(path)
    assert sorted(r.name for r in records) == sorted(f"op{i}" for i in range(50))
    assert {r.service for r in records} == {"orders"}


class _Kind(enum.IntEnum):
    RETRY = 3


ODD_VALUES: dict[str, Any] = {
    "enum": _Kind.RETRY,
    "raw": b"\x00\x01\xff",
    "minus.inf": -math.inf,
    "tuple": (1, 2),
    "empty": [],
    "escaped": 'é"\n\\',
    "long": "x" * 1000,
}


def test_grouping_and_odd_values_match_the_reference_encoder() -> None:
    memory = InMemorySpanExporter()
    providers = [
        TracerProvider(resource=Resource.create({"service.name": "orders"})),
        TracerProvider(resource=Resource.create({"service.name": "orders"})),  # equal
        TracerProvider(resource=Resource.create({"service.name": "b"}, schema_url="https://s")),
        TracerProvider(resource=Resource.get_empty()),
    ]
    for provider in providers:
        provider.add_span_processor(SimpleSpanProcessor(memory))
    for i in range(16):
        tracer = providers[i % 4].get_tracer(
            "accord" if i % 3 else "other",
            "1.0" if i % 2 else None,
            schema_url="https://x" if i % 5 == 0 else None,
            attributes={"scope.attr": i} if i % 7 == 0 else None,
        )
        span = tracer.start_span(
            f"s{i}", kind=SpanKind(i % 5), attributes=ODD_VALUES if i % 2 else None
        )
        if i % 3 == 0:
            span.add_event("tick", {"n": i, "why": "because"})
        if i == 6:
            span.set_status(Status(StatusCode.ERROR, ""))
        span.end()
    spans = list(memory.get_finished_spans())
    line = encode_spans(spans)
    message = _as_proto(line)
    assert message == encode_pb(spans)
    # Equal resources from two providers are one group, interleaved spans in order.
    assert len(message.resource_spans) == 3
    first = [span.name for ss in message.resource_spans[0].scope_spans for span in ss.spans]
    assert sorted(first) == sorted(f"s{i}" for i in range(16) if i % 4 < 2)


def test_string_attributes_are_remembered_exactly() -> None:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("t")
    values: list[Any] = ["True", True, "1", 1, 1.0, "/v1/orders", "x" * 300]
    for i in range(_otlp_encoder._MAX_STRINGS + 100):
        span = tracer.start_span("s")
        span.set_attributes({"v": values[i % len(values)], "path": f"/v1/orders/{i}"})
        span.end()
    spans = memory.get_finished_spans()
    encoder = _otlp_encoder.SpanEncoder()
    for _ in range(2):  # the second time from what was remembered
        records = decode_line(encoder.encode(spans))
        assert [r.attributes["v"] for r in records] == [
            values[i % len(values)] for i in range(len(spans))
        ]
        assert [type(r.attributes["v"]) for r in records[: len(values)]] == [
            str,
            bool,
            str,
            int,
            float,
            str,
            str,
        ]
        assert [r.attributes["path"] for r in records] == [
            f"/v1/orders/{i}" for i in range(len(spans))
        ]


def test_spans_built_by_hand_are_read_through_the_public_api() -> None:
    resource = Resource.create({"service.name": "orders"})
    context = trace.SpanContext(0xAB, 0xCD, is_remote=False)
    span = ReadableSpan(
        "by hand",
        context=context,
        resource=resource,
        attributes={"k": "v", "n": 2},
        events=(Event("e", {"a": True}, timestamp=5),),
        links=(Link(trace.SpanContext(0xEF, 0x12, is_remote=True), {"why": "x"}),),
        kind=SpanKind.CLIENT,
        status=Status(StatusCode.OK),
        start_time=1,
        end_time=2,
    )
    line = encode_spans([span])
    assert _as_proto(line) == encode_pb([span])
    (record,) = decode_line(line)
    assert record.attributes == {"k": "v", "n": 2} and record.kind == "CLIENT"


def test_recurring_integers_and_booleans_under_one_key_keep_their_kinds() -> None:
    """An integer attribute's encoding is remembered; ``True == 1`` must not share it."""
    tracer = TracerProvider().get_tracer("t")
    values: list[Any] = [1, True, 1, False, 0, 1]
    spans = []
    for value in values:
        span = tracer.start_span("s")
        span.set_attribute("n", value)
        span.end()
        spans.append(span)
    encoder = _otlp_encoder.SpanEncoder()
    for _ in range(2):
        line = json.loads(encoder.encode(spans))
        encoded = [
            s["attributes"][0]["value"] for s in line["resourceSpans"][0]["scopeSpans"][0]["spans"]
        ]
        assert encoded == [
            {"intValue": "1"},
            {"boolValue": True},
            {"intValue": "1"},
            {"boolValue": False},
            {"intValue": "0"},
            {"intValue": "1"},
        ]
