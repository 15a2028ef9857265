"""`accord slo status` reads a real service's /metrics and reports each objective."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.processes import ROOT, free_port, running, wait_http

PROJECT = """
[project]
home = ".accord"

[services.echo]
app = "tests.integration.slo.service:factory"
contracts = ["tests.integration.slo.service:Echo"]
slos = "tests.integration.slo.service:SLOS"
port = {port}
"""


def _accord(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "accord", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_status_counts_5xx_as_bad_and_4xx_as_good(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "accord.toml").write_text(PROJECT.format(port=port))
    serve = ["accord", "serve", "tests.integration.slo.service:factory", "--port", str(port)]
    with running(serve, env={"ACCORD_AUTH": "off"}, log=tmp_path / "serve.log"):
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/readyz")
        with httpx.Client(base_url=base) as client:
            for status in [200] * 90 + [404] * 6 + [500] * 4:
                client.post("/v1/answer", json={"status": status})
            for _ in range(10):
                client.post("/ping", json={})  # no operation's route: never counted
                client.post("/v1/ping", json={})  # another operation: the service's
        result = _accord(tmp_path, "slo", "status", "--json")
        assert result.returncode == 0, result.stderr
        rows = {row["objective"]: row for row in json.loads(result.stdout)}
        table = _accord(tmp_path, "slo", "status")
        quiet = _accord(tmp_path, "slo", "status", "--json", "--interval", "0.5")
    assert set(rows) == {"availability", "answer-latency"}
    service_wide = rows["availability"]
    assert (service_wide["requests"], service_wide["bad"]) == (110, 4)
    assert service_wide["sli"] == pytest.approx(106 / 110)
    assert service_wide["burn_rate"] == pytest.approx((4 / 110) / 0.01)
    assert service_wide["budget_left"] < 0  # 3.6% bad against a 1% budget: overspent
    answer = rows["answer-latency"]
    assert (answer["scope"], answer["requests"], answer["bad"]) == ("POST /v1/answer", 100, 0)
    assert answer["sli"] == 1.0
    assert answer["budget_left"] == 1.0
    # Over an interval with no request there is no burn rate, only the SLI so far.
    assert quiet.returncode == 0, quiet.stderr
    later = {row["objective"]: row for row in json.loads(quiet.stdout)}["availability"]
    assert (later["burn_rate"], later["burn_over"]) == (None, "last 0.5s")
    assert later["requests"] == 110
    assert table.returncode == 0
    assert "availability" in table.stdout
    assert "96.364%" in table.stdout


def test_status_names_a_service_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "accord.toml").write_text(PROJECT.format(port=free_port()))
    result = _accord(tmp_path, "slo", "status")
    assert result.returncode == 1
    assert result.stderr.startswith("accord: echo: cannot read http://127.0.0.1:")
    assert len(result.stderr.strip().splitlines()) == 1
    unknown = _accord(tmp_path, "slo", "status", "nope")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "accord: unknown service 'nope' (known: echo)"
