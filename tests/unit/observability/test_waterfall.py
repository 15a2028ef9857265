"""Reading span files back: summaries, trees and the waterfall view."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from accord.observability.otlp_json import SpanRecord
from accord.observability.waterfall import (
    ORPHAN_MARK,
    load,
    render_traces,
    render_waterfall,
    scan,
    traces,
    tree,
)
from tests.unit.observability.conftest import MS, T0, ShopTrace


def _text(renderable: object, width: int = 100) -> list[str]:
    console = Console(record=True, width=width, force_terminal=False, color_system=None)
    console.print(renderable)
    return console.export_text().splitlines()


def _row(lines: list[str], needle: str) -> tuple[int, str]:
    (hit,) = [(i, line) for i, line in enumerate(lines) if needle in line]
    return hit


def test_three_services_render_nested_in_order(tmp_path: Path, shop_trace: ShopTrace) -> None:
    trace_id = shop_trace()
    spans = load(tmp_path / "telemetry")
    assert {s.service for s in spans} == {"orders", "inventory", "payments"}
    lines = _text(render_waterfall(spans))
    assert lines[0].startswith(f"trace {trace_id}  POST /v1/orders")
    assert "5 spans · orders, inventory, payments · 120 ms" in lines[1]
    root_i, root = _row(lines, "POST /v1/orders ")
    inv_c_i, inv_c = _row(lines, "├─ POST inventory /v1/reserv")
    inv_s_i, inv_s = _row(lines, "│  └─ POST /v1/reservations")
    pay_c_i, pay_c = _row(lines, "└─ POST payments /v1/charges")
    pay_s_i, pay_s = _row(lines, "   └─ POST /v1/charges")
    assert root_i < inv_c_i < inv_s_i < pay_c_i < pay_s_i == len(lines) - 3
    assert lines[-2:] == [
        "ERROR POST payments /v1/charges (orders): payments.declined",
        "ERROR POST /v1/charges (payments): card declined",
    ]
    assert root.startswith("POST /v1/orders")  # a root has no guide
    assert root.split()[3:8] == ["server", "0.00", "120", "OK", "█" * len(root.split()[-1])]
    assert inv_s.split()[4:8] == ["inventory", "server", "8.00", "30.0"]
    assert inv_c.split()[5:8] == ["client", "5.00", "35.0"]
    assert "ERROR payments.decl" in pay_c
    assert "ERROR card declined" in pay_s and pay_s.split()[3] == "payments"
    # The bars: the root fills the timeline; later spans start further right.
    bars = [line.split()[-1] for line in (root, inv_c, inv_s, pay_c, pay_s)]
    assert all(len(b) == len(bars[0]) >= 10 for b in bars)
    assert set(bars[0]) == {"█"}
    starts = [len(b) - len(b.lstrip("·")) for b in bars]
    assert starts[0] == 0 and starts[1] <= starts[2] < starts[3] <= starts[4]
    assert bars[4].rstrip("·") != bars[4]  # payments ends before the trace does


def test_fits_80_columns(tmp_path: Path, shop_trace: ShopTrace) -> None:
    shop_trace()
    spans = load(tmp_path / "telemetry")
    lines = _text(render_waterfall(spans), width=80)
    assert all(len(line) <= 80 for line in lines)
    _, row = _row(lines, "└─ POST /v1/charges")
    assert " srv " in row and "ERROR" in row and "█" in row
    assert lines[-1] == "ERROR POST /v1/charges (payments): card declined"
    for line in _text(render_traces(traces(spans)), width=80):
        assert len(line) <= 80


def test_missing_parent_is_a_marked_root(tmp_path: Path, shop_trace: ShopTrace) -> None:
    shop_trace()
    (tmp_path / "telemetry" / "orders.jsonl").unlink()  # the callers' spans are gone
    spans = load(tmp_path / "telemetry")
    roots = tree(spans)
    assert [(n.span.name, n.orphan) for n in roots] == [
        ("POST /v1/reservations", True),
        ("POST /v1/charges", True),
    ]
    lines = _text(render_waterfall(spans))
    for name in ("POST /v1/reservations", "POST /v1/charges"):
        i, row = _row(lines, f"└─ {name}")
        assert row.startswith(f"└─ {name}")  # hung under a row for the missing parent
        assert lines[i - 1].strip() == ORPHAN_MARK
    summary = traces(spans)[0]
    assert summary.root_name == "POST /v1/reservations" and summary.span_count == 2


def test_corrupted_lines_are_skipped_and_counted(tmp_path: Path, shop_trace: ShopTrace) -> None:
    shop_trace()
    folder = tmp_path / "telemetry"
    whole = len(load(folder))
    with (folder / "payments.jsonl").open("ab") as f:
        f.write(b'{"resourceSpans":[{"resource":{"attri')  # a writer still at work
    orders = folder / "orders.jsonl"
    orders.write_bytes(b"garbage\n\n" + orders.read_bytes())
    found = scan(folder)
    assert (found.files, found.skipped, len(found.spans)) == (3, 2, whole)


def test_reads_files_in_subfolders_and_keeps_a_span_once(
    tmp_path: Path, shop_trace: ShopTrace
) -> None:
    shop_trace()
    folder = tmp_path / "telemetry"
    copy = folder / "archive" / "again.jsonl"
    copy.parent.mkdir()
    copy.write_bytes((folder / "orders.jsonl").read_bytes())
    (folder / "notes.txt").write_text("not a span file")
    found = scan(folder)
    assert (found.files, found.skipped, len(found.spans)) == (4, 0, 5)
    assert scan(tmp_path / "missing").files == 0


def test_reads_lines_other_tools_wrote(tmp_path: Path) -> None:
    # As the Collector's file exporter writes them: numbers as numbers, no status code.
    line = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "edge"}}]
                },
                "scopeSpans": [
                    {
                        "scope": {},
                        "spans": [
                            {
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": "eee19b7ec3c1b174",
                                "name": "GET /",
                                "kind": 2,
                                "startTimeUnixNano": 1544712660000000000,
                                "endTimeUnixNano": 1544712660300000000,
                                "status": {},
                            }
                        ],
                    }
                ],
            }
        ]
    }
    (tmp_path / "collector.jsonl").write_text(json.dumps(line) + "\n")
    (summary,) = traces(load(tmp_path))
    assert summary.services == ["edge"] and summary.duration_ns == 300 * MS
    assert summary.status == "UNSET" and summary.root_name == "GET /"


def test_summaries_newest_first(tmp_path: Path, shop_trace: ShopTrace) -> None:
    older = shop_trace(start=T0)
    newer = shop_trace(start=T0 + 60_000 * MS)
    summaries = traces(load(tmp_path / "telemetry"))
    assert [s.trace_id for s in summaries] == [newer, older]
    first = summaries[0]
    assert first.root_name == "POST /v1/orders"
    assert first.services == ["orders", "inventory", "payments"]
    assert (first.span_count, first.start_ns, first.duration_ns) == (5, T0 + 60_000 * MS, 120 * MS)
    assert first.status == "ERROR" and first.error == "payments.declined"
    text = "\n".join(_text(render_traces(summaries)))
    assert newer[:16] in text and older[:16] in text
    assert text.index(newer[:16]) < text.index(older[:16])


def _span(span_id: str, parent: str | None, start: int) -> SpanRecord:
    return SpanRecord(
        "a" * 32, span_id * 16, parent and parent * 16, span_id, "INTERNAL", "s", start, start + 1
    )


def test_tree_orders_children_by_start_and_survives_cycles() -> None:
    spans = [
        _span("1", None, 0),
        _span("3", "1", 30),
        _span("2", "1", 20),
        _span("4", "2", 25),
        _span("8", "9", 5),  # 8 and 9 are each other's parent
        _span("9", "8", 6),
        _span("7", "7", 7),  # its own parent
    ]
    roots = tree(spans)
    assert [(n.span.name, n.orphan) for n in roots] == [
        ("1", False),
        ("7", True),
        ("8", True),
    ]
    assert [c.span.name for c in roots[0].children] == ["2", "3"]
    assert [c.span.name for c in roots[0].children[0].children] == ["4"]
    assert [c.span.name for c in roots[2].children] == ["9"]


def test_empty_waterfall() -> None:
    assert _text(render_waterfall([])) == ["no spans"]
