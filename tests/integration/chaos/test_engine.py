"""The chaos engine runs any project's scenario: here a tiny one written for this test.

`accord chaos --json` in a project of one counting service (tests/support/chaos_tiny.py)
starts it, bumps it from every worker, kills it once (the supervisor restarts it), turns
its faults on and off by editing its configuration file, and prints the scenario's
figures beside the engine's. The fault changes are applied by the running process: the
same process id before and after each, and bumps answered 503 in between.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT

pytestmark = pytest.mark.e2e

PROJECT = """
[project]
home = "state"
chaos = "tests.support.chaos_tiny:TinyScenario"

[services.counter]
app = "tests.support.chaos_tiny:create_app"
settings = "tests.support.chaos_tiny:Settings"
"""


def chaos(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ACCORD_HOME", "ACCORD_CONFIG_DIR")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "accord", "chaos", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_engine_runs_a_scenario_of_another_project(tmp_path: Path) -> None:
    (tmp_path / "accord.toml").write_text(PROJECT, encoding="utf-8")
    home = tmp_path / "kept"
    done = chaos(tmp_path, "--json", "--duration", "10", "--seed", "2", "--home", str(home))
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout + done.stderr
    report = json.loads(lines[0])
    assert done.returncode == 0, report

    # The scenario's own figures, held to its own promise.
    assert report["bumps_acknowledged"] > 0
    assert report["bumps_lost"] == 0
    assert report["bumps_counted"] >= report["bumps_acknowledged"]
    assert report["kills"] == {"counter": 1}
    # The engine's figures, for any project.
    assert report["restarts"] == 1
    assert report["requests_sent"] >= report["bumps_acknowledged"]
    assert report["p99_ms_under_fault"] is not None
    # Faults went on, then off, in the running process: no restart for either.
    on, off = report["fault_changes"]
    assert (on["service"], on["on"], off["on"]) == ("counter", True, False)
    assert on["pid_before"] == on["pid_after"] == off["pid_before"] == off["pid_after"]
    assert report["answers"].get("503", 0) > 0
    assert report["faults_injected"] == report["answers"]["503"]
    # The edits went to the run's own copy of the configuration, not the project's.
    assert not (tmp_path / "config").exists()
    assert "[faults" not in (home / "config" / "dev" / "counter.toml").read_text()


def test_a_project_without_a_scenario_is_told_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "accord.toml").write_text(
        PROJECT.replace('chaos = "tests.support.chaos_tiny:TinyScenario"\n', ""), encoding="utf-8"
    )
    done = chaos(tmp_path, "--duration", "10")
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "accord: accord.toml names no chaos scenario ([project] chaos = 'module:factory')"
    ]
    assert "Traceback" not in done.stderr
