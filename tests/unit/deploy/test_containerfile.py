"""The Containerfile, read (no engine builds it here): multi-stage, the hashed lock,
a non-root user, and nothing to build with in the stage that runs."""

from __future__ import annotations

import re

from accord.deploy.workload import RUN_AS
from tests.support.processes import ROOT

TEXT = (ROOT / "Containerfile").read_text()


def _stages() -> dict[str, list[str]]:
    stages: dict[str, list[str]] = {}
    current = ""
    for raw in TEXT.replace("\\\n", " ").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        found = re.match(r"FROM\s+\S+\s+AS\s+(\S+)", line, re.I)
        if found:
            current = found.group(1)
            stages[current] = []
        elif current:
            stages[current].append(line)
    return stages


def test_two_stages_and_the_last_runs() -> None:
    assert list(_stages()) == ["build", "run"]


def test_dependencies_come_from_the_hashed_lock() -> None:
    build = " ".join(_stages()["build"])
    assert "--require-hashes -r requirements.lock" in build
    assert "--no-deps" in build  # the project itself adds nothing unlocked


def test_the_final_stage_runs_as_the_non_root_user_the_manifests_expect() -> None:
    run = _stages()["run"]
    users = [line.split()[1] for line in run if line.upper().startswith("USER ")]
    assert users == [f"{RUN_AS}:{RUN_AS}"]
    assert any(line.startswith("COPY --from=build /opt/accord") for line in run)


def test_no_build_tools_in_the_final_stage() -> None:
    run = " ".join(_stages()["run"])
    for tool in ("apt-get install", "gcc", "build-essential", "pip install", "COPY src"):
        assert tool not in run
    assert "pip uninstall --yes pip setuptools wheel" in run
