"""``bench/flags.py`` end to end: real servers, real wrk, a results file with every figure.

Nothing here judges the figures (no speed assertions): only that each was measured and
that no request failed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed"),
]


def test_quick_run_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "flags.json"
    done = subprocess.run(
        [sys.executable, "bench/flags.py", "--quick", "--duration", "1", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "per request: both" in done.stdout and "two flags / none" in done.stdout
    results = json.loads(out.read_text())
    local = results["in_process"]
    for key in ("static_us", "fractional_us", "per_request_us", "flagd_core_per_request_us"):
        assert local[key] > 0
    assert local["import_rss_mb"] > 0
    assert 0 < local["reload_p50_ms"] <= local["reload_p99_ms"]
    reloading = results["reloads_under_load"]
    assert reloading["failed"] == 0 and reloading["requests"] > 0
    assert reloading["applied"] >= 1
    for variant in ("no_flags", "two_flags"):
        assert results["http_order"][variant]["rps"] > 0
        assert results["http_order"][variant]["non_2xx"] == 0
