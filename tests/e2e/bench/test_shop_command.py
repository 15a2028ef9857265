"""``bench/shop.py`` end to end: accord up and the twin, real wrk, results, clean stop."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.e2e.bench.test_http_command import _processes_marked
from tests.support.processes import ROOT

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed"),
]


def test_a_short_run_places_orders_on_both_systems_and_leaves_nothing_running(
    tmp_path: Path,
) -> None:
    mark = uuid.uuid4().hex
    out = tmp_path / "shop.json"
    argv = [
        sys.executable, "bench/shop.py", "--databases", "sqlite", "--clients", "c1,c4",
        "--duration", "2", "--warmup", "1", "--customers", "50", "--out", str(out),
    ]  # fmt: skip
    # 50 customers: accord limits each to 10 orders/s (burst 20), and four clients on an
    # idle machine place over 200 a second; with fewer, the run would measure 429s.
    run = subprocess.run(
        argv,
        cwd=ROOT,
        env={**os.environ, "BENCH_TEST_MARK": mark},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    document = json.loads(out.read_text())
    for system in ("accord", "twin"):
        for label in ("c1", "c4"):
            figures = document["runs"][system]["sqlite"][label]
            assert figures["orders_per_s"] > 0
            assert figures["failed"] == 0
            assert 0 < figures["p50_ms"] <= figures["p99_ms"]
            assert figures["cpu_ms_per_order"] > 0
            assert set(figures["cpu_ms_per_order_by_service"]) >= {
                "orders",
                "inventory",
                "payments",
            }
            beside = figures["cpu_ms_per_order_beside"]  # accord up and its Envoy; none
            assert set(beside) == ({"up", "envoy"} if system == "accord" else set())
            assert all(v > 0 for v in beside.values())
        processes = document["processes"][system]["sqlite"]
        assert processes["ready_s"] > 0
        assert processes["rss_load_mb"] >= processes["rss_idle_mb"] > 0
    assert "accord sqlite c16" in run.stdout  # the targets, unmeasured at 16 clients here
    deadline = time.monotonic() + 10
    while _processes_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_marked(mark) == []
