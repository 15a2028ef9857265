"""``accord traces`` run as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.observability.conftest import MS, T0, ShopTrace


def accord(*args: str, cwd: Path, columns: int = 100) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    env.pop("FORCE_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "accord", "traces", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("accord: ") and text in result.stderr


@pytest.fixture
def two_traces(tmp_path: Path, shop_trace: ShopTrace) -> tuple[Path, str, str]:
    folder = tmp_path / "spans"
    older = shop_trace(folder, start=T0)
    newer = shop_trace(folder, start=T0 + 60_000 * MS)
    return folder, older, newer


def test_lists_traces_newest_first(tmp_path: Path, two_traces: tuple[Path, str, str]) -> None:
    folder, older, newer = two_traces
    result = accord("--dir", str(folder), cwd=tmp_path, columns=80)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "\x1b[" not in out  # not a terminal: no colour
    assert out.index(newer[:16]) < out.index(older[:16])
    assert "POST /v1/orders" in out and "ERROR" in out
    assert all(len(line) <= 80 for line in out.splitlines())
    last_one = accord("--dir", str(folder), "--last", "1", cwd=tmp_path)
    assert newer[:16] in last_one.stdout and older[:16] not in last_one.stdout


def test_waterfall_by_prefix(tmp_path: Path, two_traces: tuple[Path, str, str]) -> None:
    folder, older, _ = two_traces
    result = accord("--dir", str(folder), older[:10].upper(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"trace {older}")
    rows = [
        next(i for i, line in enumerate(lines) if line.startswith(name))
        for name in ("POST /v1/orders", "└─ POST payments", "   └─ POST /v1/charges")
    ]
    assert rows == sorted(rows) and len(set(rows)) == 3
    assert "ERROR card declined" in result.stdout


def test_json(tmp_path: Path, two_traces: tuple[Path, str, str]) -> None:
    folder, older, newer = two_traces
    listed = json.loads(accord("--dir", str(folder), "--json", cwd=tmp_path).stdout)
    assert [t["trace_id"] for t in listed] == [newer, older]
    assert listed[0]["services"] == ["orders", "inventory", "payments"]
    assert listed[0]["span_count"] == 5 and listed[0]["status"] == "ERROR"
    spans = json.loads(accord("--dir", str(folder), "--json", newer, cwd=tmp_path).stdout)
    assert [s["name"] for s in spans] == [
        "POST /v1/orders",
        "POST inventory /v1/reservations",
        "POST /v1/reservations",
        "POST payments /v1/charges",
        "POST /v1/charges",
    ]
    assert {s["trace_id"] for s in spans} == {newer}
    by_name = {s["name"]: s for s in spans}
    assert (
        by_name["POST /v1/charges"]["parent_span_id"]
        == (by_name["POST payments /v1/charges"]["span_id"])
    )
    assert by_name["POST /v1/charges"]["start_ns"] == T0 + 60_047 * MS


def test_unknown_id_exits_1(tmp_path: Path, two_traces: tuple[Path, str, str]) -> None:
    folder, _, _ = two_traces
    result = accord("--dir", str(folder), "0123456789abcdef", cwd=tmp_path)
    assert_one_line_error(result, 1, "no trace 0123456789abcdef")


def test_ambiguous_prefix_exits_2(tmp_path: Path) -> None:
    def line(trace_id: str) -> str:
        span = {"traceId": trace_id, "spanId": "00f067aa0ba902b7", "name": "x", "kind": 2}
        return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]})

    folder = tmp_path / "spans"
    folder.mkdir()
    ids = ("deadbeef" + "0" * 24, "deadbeef" + "1" * 24)
    (folder / "a.jsonl").write_text("".join(line(i) + "\n" for i in ids))
    assert_one_line_error(accord("--dir", str(folder), "deadbeef", cwd=tmp_path), 2, "2 traces")
    assert accord("--dir", str(folder), "deadbeef1", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("bad", ["abc", "not-hex-at-all", "0" * 33])
def test_bad_id_exits_2(tmp_path: Path, bad: str) -> None:
    assert_one_line_error(accord(bad, cwd=tmp_path), 2, "is not a trace id")


def test_no_files_exits_1(tmp_path: Path) -> None:
    result = accord("--dir", str(tmp_path / "nothing"), cwd=tmp_path)
    assert_one_line_error(result, 1, "no trace files in")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "x.jsonl").write_text("")
    assert_one_line_error(accord("--dir", str(tmp_path / "empty"), cwd=tmp_path), 1, "no spans")


def test_default_folder_is_the_project_home(tmp_path: Path, shop_trace: ShopTrace) -> None:
    project = tmp_path / "proj"
    (project / "deep").mkdir(parents=True)
    (project / "accord.toml").write_text('[project]\nhome = "state"\n')
    trace_id = shop_trace(project / "state" / "telemetry")
    result = accord(cwd=project / "deep")
    assert result.returncode == 0, result.stderr
    assert trace_id[:16] in result.stdout


def test_default_folder_without_a_project(tmp_path: Path, shop_trace: ShopTrace) -> None:
    trace_id = shop_trace(tmp_path / ".accord" / "telemetry")
    result = accord(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert trace_id[:16] in result.stdout


def test_a_broken_project_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "accord.toml").write_text("[project\n")
    result = accord(cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("accord: ") and result.stderr.count("\n") == 1


def test_skipped_lines_are_reported(tmp_path: Path, two_traces: tuple[Path, str, str]) -> None:
    folder, _, newer = two_traces
    with (folder / "orders.jsonl").open("a") as f:
        f.write('{"resourceSpans": [')
    result = accord("--dir", str(folder), cwd=tmp_path)
    assert result.returncode == 0
    assert newer[:16] in result.stdout
    assert result.stderr == f"accord: skipped 1 unreadable line in {folder}\n"
