"""Traces read back from span files: summaries, span trees and a waterfall view.

::

    spans = load(home / "telemetry")            # every *.jsonl under the folder
    for summary in traces(spans):               # newest first
        print(summary.trace_id, summary.root_name)
    console.print(render_waterfall([s for s in spans if s.trace_id == wanted]))

Files are read as they are: a line cut short by a writer still at work, or a line that is
not OTLP/JSON, is skipped and counted (:func:`scan`), never fatal.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

import msgspec
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from accord.observability.otlp_json import InvalidLine, SpanRecord, decode_line

__all__ = [
    "ORPHAN_MARK",
    "Node",
    "Scan",
    "TraceSummary",
    "load",
    "render_traces",
    "render_waterfall",
    "scan",
    "traces",
    "tree",
]

#: Shown after a span whose parent is in none of the files read.
ORPHAN_MARK = "(parent not in files)"

_STATUS_RANK = {"UNSET": 0, "OK": 1, "ERROR": 2}
_STATUS_STYLE = {"OK": "green", "ERROR": "bold red", "UNSET": "dim"}
_BAR_STYLE = {"OK": "green", "ERROR": "red", "UNSET": "cyan"}
_EIGHTHS = " ▏▎▍▌▋▊▉█"


# --- reading ----------------------------------------------------------------------------


class Scan(msgspec.Struct):
    """What :func:`scan` found: the spans, how many files, how many lines it skipped."""

    spans: list[SpanRecord]
    files: int = 0
    skipped: int = 0


def scan(folder: Path) -> Scan:
    """Read every ``*.jsonl`` under ``folder`` (recursively); a missing folder is empty.

    Lines that are not OTLP/JSON (a last line still being written, a stray text line) and
    files that cannot be read are skipped and counted. A span found twice is kept once.
    """
    result = Scan(spans=[])
    seen: set[tuple[str, str]] = set()
    paths = sorted(p for p in folder.rglob("*.jsonl") if p.is_file()) if folder.is_dir() else []
    for path in paths:
        result.files += 1
        try:
            with path.open("rb") as f:
                for line in f:
                    if not line.strip():
                        continue
                    try:
                        records = decode_line(line)
                    except InvalidLine:
                        result.skipped += 1
                        continue
                    for record in records:
                        key = (record.trace_id, record.span_id)
                        if key not in seen:
                            seen.add(key)
                            result.spans.append(record)
        except OSError:
            result.skipped += 1
    return result


def load(folder: Path) -> list[SpanRecord]:
    """Every span in the ``*.jsonl`` files under ``folder`` (see :func:`scan`)."""
    return scan(folder).spans


# --- traces and trees -------------------------------------------------------------------


class TraceSummary(msgspec.Struct, frozen=True):
    """One trace at a glance.

    ``status`` is the worst status of its spans: ``ERROR`` if any span failed, else ``OK``
    if any span says so, else ``UNSET``; ``error`` is the message of the first failed span.
    """

    trace_id: str
    root_name: str
    services: list[str]
    span_count: int
    start_ns: int
    duration_ns: int
    status: str
    error: str = ""


class Node(msgspec.Struct):
    """A span in a trace's tree; ``orphan`` when its parent is in none of the files."""

    span: SpanRecord
    children: list[Node] = []
    orphan: bool = False


def _order(span: SpanRecord) -> tuple[int, str]:
    return (span.start_ns, span.span_id)


def traces(spans: Iterable[SpanRecord]) -> list[TraceSummary]:
    """A summary per trace, newest (latest start) first."""
    by_trace: dict[str, list[SpanRecord]] = defaultdict(list)
    for span in spans:
        by_trace[span.trace_id].append(span)
    out = [_summary(trace_id, group) for trace_id, group in by_trace.items()]
    out.sort(key=lambda s: (s.start_ns, s.trace_id), reverse=True)
    return out


def _summary(trace_id: str, spans: list[SpanRecord]) -> TraceSummary:
    ordered = sorted(spans, key=_order)
    start = ordered[0].start_ns
    end = max(s.end_ns for s in ordered)
    services = list(dict.fromkeys(s.service for s in ordered))
    worst = max((s.status_code for s in ordered), key=lambda c: _STATUS_RANK.get(c, 0))
    error = next((s.status_message for s in ordered if s.status_code == "ERROR"), "")
    return TraceSummary(
        trace_id=trace_id,
        root_name=tree(ordered)[0].span.name,
        services=services,
        span_count=len(ordered),
        start_ns=start,
        duration_ns=max(0, end - start),
        status=worst,
        error=error,
    )


def tree(spans: Sequence[SpanRecord]) -> list[Node]:
    """The spans of one trace as trees; children and roots ordered by start time.

    True roots (no parent) come first, then spans whose parent is missing, as roots marked
    ``orphan``. A parent cycle, which only a broken writer can produce, is cut where it is
    first entered, so every span appears exactly once.
    """
    by_id = {s.span_id: s for s in spans}
    children: dict[str, list[SpanRecord]] = defaultdict(list)
    roots: list[SpanRecord] = []
    orphans: list[SpanRecord] = []
    for span in sorted(by_id.values(), key=_order):
        parent = span.parent_span_id
        if parent is None:
            roots.append(span)
        elif parent in by_id and parent != span.span_id:
            children[parent].append(span)
        else:
            orphans.append(span)
    visited: set[str] = set()

    def build(span: SpanRecord, orphan: bool) -> Node:
        top = Node(span, [], orphan)
        visited.add(span.span_id)
        stack = [top]
        while stack:
            node = stack.pop()
            for child in children[node.span.span_id]:
                if child.span_id not in visited:
                    visited.add(child.span_id)
                    node.children.append(Node(child, []))
                    stack.append(node.children[-1])
        return top

    out = [build(s, False) for s in roots] + [build(s, True) for s in orphans]
    for span in sorted(by_id.values(), key=_order):
        if span.span_id not in visited:  # in a cycle: no way up to a root
            out.append(build(span, True))
    return out


def _walk(roots: list[Node]) -> Iterator[tuple[Node, str]]:
    """Pre-order (node, tree guide) pairs, without recursion.

    An orphan hangs, as the only child, under a row for its missing parent.
    """
    stack: list[tuple[Node, str, str]] = [
        (node, "└─ ", "   ") if node.orphan else (node, "", "") for node in reversed(roots)
    ]
    while stack:
        node, guide, prefix = stack.pop()
        yield node, guide
        last = len(node.children) - 1
        for i in range(last, -1, -1):
            branch, indent = ("└─ ", "   ") if i == last else ("├─ ", "│  ")
            stack.append((node.children[i], prefix + branch, prefix + indent))


# --- rendering --------------------------------------------------------------------------


def _ms(ns: int) -> str:
    ms = ns / 1_000_000
    if ms < 10:
        return f"{ms:.2f}"
    return f"{ms:.1f}" if ms < 100 else f"{ms:,.0f}"


class _Bar:
    """Where a span lies on its trace's timeline, in block characters.

    Drawn at whatever width its cell gets; the end is exact to an eighth of a cell.
    """

    def __init__(self, start: float, end: float, style: str) -> None:
        self.start, self.end, self.style = start, end, Style.parse(style)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(8, max(8, options.max_width))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(1, options.max_width)
        units = width * 8
        first = min(width - 1, math.floor(self.start * width))
        # The start snaps to a cell; the length is kept exact to an eighth of a cell.
        length = min(units - first * 8, max(1, round((self.end - self.start) * units)))
        full, part = divmod(length, 8)
        bar = "█" * full + (_EIGHTHS[part] if part else "")
        track = Style(dim=True)
        yield Segment("·" * first, track)
        yield Segment(bar, self.style)
        yield Segment("·" * (width - first - len(bar)), track)


def render_waterfall(spans: Sequence[SpanRecord]) -> RenderableType:
    """One trace as a waterfall: a header, then one row per span in tree order.

    Columns: the span's name (indented under its parent), service, kind, start offset and
    duration in milliseconds, status (with the error message) and a timeline bar. Below
    100 columns the kind is abbreviated and the status narrower, so 80 columns stay legible;
    the error messages follow the table in full.
    """
    return _Waterfall(list(spans))


_SHORT_KIND = {"SERVER": "srv", "CLIENT": "cli", "INTERNAL": "int", "PRODUCER": "pro"}


class _Waterfall:
    def __init__(self, spans: list[SpanRecord]) -> None:
        self.spans = spans

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.spans:
            yield Text("no spans")
            return
        narrow = options.max_width < 100
        summary = _summary(self.spans[0].trace_id, self.spans)
        t0, total = summary.start_ns, max(1, summary.duration_ns)
        yield Text.assemble(
            ("trace ", "dim"),
            (summary.trace_id, "bold"),
            f"  {summary.root_name}\n",
            (f"{summary.span_count} spans · {', '.join(summary.services)} · ", "dim"),
            (f"{_ms(summary.duration_ns)} ms", "bold"),
        )
        table = Table(
            box=None, expand=True, pad_edge=False, collapse_padding=True, header_style="bold"
        )
        table.add_column("span", ratio=5, no_wrap=True, overflow="ellipsis", min_width=12)
        table.add_column("service", no_wrap=True, overflow="ellipsis", max_width=10)
        table.add_column("kind", no_wrap=True)
        table.add_column("start", justify="right", no_wrap=True)
        table.add_column("ms", justify="right", no_wrap=True)
        table.add_column(
            "status", no_wrap=True, overflow="ellipsis", max_width=12 if narrow else 20
        )
        table.add_column("timeline", ratio=3, min_width=10, no_wrap=True)
        for node, guide in _walk(tree(self.spans)):
            span = node.span
            if node.orphan:
                table.add_row(Text(ORPHAN_MARK, style="yellow"))
            name = Text()
            name.append(guide, style="dim")
            name.append(span.name)
            status = Text(span.status_code if span.status_code != "UNSET" else "-")
            status.stylize(_STATUS_STYLE.get(span.status_code, ""))
            if span.status_code == "ERROR" and span.status_message:
                status.append(f" {span.status_message}")
            kind = span.kind.lower()
            table.add_row(
                name,
                span.service,
                _SHORT_KIND.get(span.kind, kind[:3]) if narrow else kind,
                _ms(span.start_ns - t0),
                _ms(span.duration_ns),
                status,
                _Bar(
                    (span.start_ns - t0) / total,
                    (span.end_ns - t0) / total,
                    _BAR_STYLE.get(span.status_code, "cyan"),
                ),
            )
        yield table
        # Messages are cut to fit the status column; here they are whole.
        for span in sorted(self.spans, key=_order):
            if span.status_code == "ERROR" and span.status_message:
                yield Text.assemble(
                    ("ERROR ", "bold red"), f"{span.name} ({span.service}): {span.status_message}"
                )


def render_traces(summaries: Sequence[TraceSummary]) -> RenderableType:
    """A table of traces: id (first 16 hex digits), start, duration, spans, status, root."""
    table = Table(box=None, pad_edge=False, collapse_padding=True, header_style="bold")
    table.add_column("trace", no_wrap=True)
    table.add_column("started", no_wrap=True)
    table.add_column("ms", justify="right", no_wrap=True)
    table.add_column("spans", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("root", overflow="fold")
    table.add_column("services")
    for s in summaries:
        started = datetime.fromtimestamp(s.start_ns / 1e9).strftime("%m-%d %H:%M:%S")
        status = Text(s.status if s.status != "UNSET" else "-")
        status.stylize(_STATUS_STYLE.get(s.status, ""))
        table.add_row(
            s.trace_id[:16],
            started,
            _ms(s.duration_ns),
            str(s.span_count),
            status,
            s.root_name,
            ", ".join(s.services),
        )
    return table
