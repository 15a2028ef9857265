"""Who calls whom, from the traces: a client span in one service whose child is a server
span in another is one call along that edge."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from accord.observability.otlp_json import SpanRecord

__all__ = ["Edge", "edges"]


class Edge(msgspec.Struct, frozen=True):
    """Calls from ``source`` to ``target`` seen in the span files, and how many failed."""

    source: str
    target: str
    calls: int
    errors: int


def edges(spans: Iterable[SpanRecord]) -> list[Edge]:
    """Every caller → callee pair with its call and error counts, busiest first."""
    clients: dict[tuple[str, str], SpanRecord] = {}
    servers: list[SpanRecord] = []
    for span in spans:
        if span.kind == "CLIENT":
            clients[(span.trace_id, span.span_id)] = span
        elif span.kind == "SERVER" and span.parent_span_id:
            servers.append(span)
    counts: dict[tuple[str, str], list[int]] = {}
    for server in servers:
        client = clients.get((server.trace_id, server.parent_span_id or ""))
        if client is None or client.service == server.service:
            continue
        tally = counts.setdefault((client.service, server.service), [0, 0])
        tally[0] += 1
        if server.status_code == "ERROR" or client.status_code == "ERROR":
            tally[1] += 1
    out = [Edge(s, t, n, e) for (s, t), (n, e) in counts.items()]
    out.sort(key=lambda e: (-e.calls, e.source, e.target))
    return out
