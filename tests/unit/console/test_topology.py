"""Who calls whom, from client spans answered by another service's server spans."""

from __future__ import annotations

from accord.console.topology import Edge, edges
from accord.observability.otlp_json import SpanRecord


def _span(
    span_id: str, parent: str | None, service: str, kind: str, status: str = "UNSET"
) -> SpanRecord:
    return SpanRecord("t" * 32, span_id, parent, "op", kind, service, 0, 1, status)


def test_edges_count_calls_and_failures_between_services() -> None:
    spans = [
        _span("a", None, "front", "SERVER"),
        _span("b", "a", "front", "CLIENT"),
        _span("c", "b", "stock", "SERVER"),
        _span("d", "a", "front", "CLIENT"),
        _span("e", "d", "stock", "SERVER", "ERROR"),
        _span("f", "a", "front", "CLIENT"),
        _span("g", "f", "money", "SERVER"),
        _span("h", "a", "front", "CLIENT"),  # nobody answered it in the files
        _span("i", "a", "front", "INTERNAL"),
        _span("j", "i", "front", "SERVER"),  # same service: no edge
    ]
    assert edges(spans) == [Edge("front", "stock", 2, 1), Edge("front", "money", 1, 0)]
