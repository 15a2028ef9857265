"""``bench/http.py`` end to end: real servers, real wrk, results file, clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.support.processes import ROOT
from tests.support.system import require

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _wrk() -> None:
    require("wrk")


PEERS = "fastapi,starlette_msgspec"


def _processes_marked(mark: str) -> list[int]:
    """PIDs of live processes whose environment carries ``BENCH_TEST_MARK=mark``."""
    found = []
    needle = f"BENCH_TEST_MARK={mark}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def _harness(mark: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "bench/http.py", *args],
        cwd=ROOT,
        env={**os.environ, "BENCH_TEST_MARK": mark},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_short_run_writes_results_and_leaves_nothing_running(tmp_path: Path) -> None:
    mark = uuid.uuid4().hex
    out = tmp_path / "http.json"
    proc = _harness(
        mark,
        "--variants",
        PEERS,
        "--duration",
        "1",
        "--warmup",
        "1",
        "--rounds",
        "2",
        "--connections",
        "8",
        "--out",
        str(out),
    )
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    assert "round 2/2" in output
    assert "accord_sampled order ratio ≥ 2.5: not measured" in output
    doc = json.loads(out.read_text())
    assert set(doc["variants"]) == {"fastapi", "starlette_msgspec"}
    for name, by_endpoint in doc["variants"].items():
        for endpoint in ("ping", "order"):
            figures = by_endpoint[endpoint]
            assert figures["rps"] > 0, (name, endpoint, figures)  # how many: the bench's job
            assert 0 < figures["p50_ms"] <= figures["p99_ms"]
        assert len(doc["meta"]["rounds"][name]["order"]) == 2
    assert doc["variants"]["fastapi"]["order"]["ratio_vs_fastapi"] == 1.0
    assert doc["meta"]["settings"]["server_core"] == 0
    assert _processes_marked(mark) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "term"])
def test_interrupted_run_stops_every_server(tmp_path: Path, sig: signal.Signals) -> None:
    mark = uuid.uuid4().hex
    out = tmp_path / "http.json"
    proc = _harness(mark, "--variants", PEERS, "--duration", "30", "--out", str(out))
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("warming up"):
            break
    time.sleep(0.5)
    assert len(_processes_marked(mark)) >= 3  # two servers and wrk
    proc.send_signal(sig)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, output
    assert "interrupted" in output
    assert "Traceback" not in output
    assert not out.exists()
    assert _processes_marked(mark) == []


def test_unknown_variant_is_one_line_and_exit_2() -> None:
    proc = _harness("x", "--variants", "fastapi,nope")
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "unknown variant(s) nope" in output
    assert "Traceback" not in output
