"""The span files, read as ``accord traces`` reads them, kept until a file changes.

:class:`SpanStore` scans ``<home>/telemetry`` with :func:`accord.observability.waterfall.scan`
again only when a file was added, grew or changed; it answers trace summaries and one
trace's spans as rows of a waterfall (tree order, depth, offsets in milliseconds).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import msgspec

from accord.console.metrics import OWN_ROUTES
from accord.errors import AccordError
from accord.observability.otlp_json import SpanRecord
from accord.observability.waterfall import TraceSummary, scan, traces, tree

__all__ = ["AmbiguousTrace", "SpanStore", "TraceRow", "UnknownTrace", "valid_prefix"]

MIN_PREFIX = 8
_HEX = re.compile(r"^[0-9a-f]{8,32}$")


class UnknownTrace(AccordError, LookupError):
    """No trace starts with the prefix asked for."""


class AmbiguousTrace(AccordError, LookupError):
    """More than one trace starts with the prefix asked for."""


def valid_prefix(text: str) -> bool:
    """Whether ``text`` is 8 to 32 lower-case hex digits."""
    return bool(_HEX.match(text))


class TraceRow(msgspec.Struct, frozen=True):
    """One span of a waterfall: offsets from the trace's start, in milliseconds."""

    span_id: str
    parent_span_id: str | None
    name: str
    service: str
    kind: str
    depth: int
    start_ms: float
    duration_ms: float
    status: str
    message: str
    orphan: bool
    attributes: dict[str, Any]


class SpanStore:
    """The spans under one folder, re-read when the folder's files change."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._key: tuple[tuple[str, int, int], ...] | None = None
        self._spans: list[SpanRecord] = []

    def spans(self) -> list[SpanRecord]:
        """Every span, read again only when a file changed since the last call."""
        paths = sorted(self.folder.rglob("*.jsonl")) if self.folder.is_dir() else []
        key: list[tuple[str, int, int]] = []
        for path in paths:
            try:
                stat = path.stat()
            except OSError:
                continue
            key.append((str(path), stat.st_size, stat.st_mtime_ns))
        if tuple(key) != self._key:
            self._spans = scan(self.folder).spans
            self._key = tuple(key)
        return self._spans

    def recent(self, last: int) -> list[TraceSummary]:
        """The ``last`` newest traces, leaving out those of a service's own routes
        (probes, metrics, documents: the console's polling would bury the rest)."""
        found = (t for t in traces(self.spans()) if not _own_route(t.root_name))
        return list(itertools.islice(found, last))

    def trace(self, prefix: str) -> tuple[str, list[TraceRow]]:
        """The trace whose id starts with ``prefix``: its id and its rows in tree order."""
        spans = self.spans()
        ids = {s.trace_id for s in spans if s.trace_id.startswith(prefix)}
        if not ids:
            raise UnknownTrace(prefix)
        if len(ids) > 1:
            raise AmbiguousTrace(prefix)
        trace_id = ids.pop()
        mine = [s for s in spans if s.trace_id == trace_id]
        start = min(s.start_ns for s in mine)
        rows: list[TraceRow] = []
        stack = [(node, 0) for node in reversed(tree(mine))]
        while stack:
            node, depth = stack.pop()
            span = node.span
            rows.append(
                TraceRow(
                    span.span_id,
                    span.parent_span_id,
                    span.name,
                    span.service,
                    span.kind,
                    depth,
                    (span.start_ns - start) / 1e6,
                    span.duration_ns / 1e6,
                    span.status_code,
                    span.status_message,
                    node.orphan,
                    {k: v for k, v in span.attributes.items() if _shown(v)},
                )
            )
            stack.extend((child, depth + 1) for child in reversed(node.children))
        return trace_id, rows


def _own_route(root_name: str) -> bool:
    route = root_name.partition(" ")[2]
    return route in OWN_ROUTES or route.endswith(("/openapi.json", "/docs"))


def _shown(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)
