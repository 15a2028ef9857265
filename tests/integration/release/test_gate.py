"""``accord release gate`` as a release pipeline runs it, in a clone of the repository.

Rows are selected (``--only``) to keep it fast; each row is the real command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ROOT, free_port


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def _gate(clone: Path, *args: str, **extra: str) -> tuple[int, dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(clone), "ACCORD_HOME": str(clone / ".accord"), **extra}
    result = subprocess.run(
        [sys.executable, "-m", "accord", "release", "gate", "--json", *args],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository as committed, with a release tag on its HEAD."""
    target = tmp_path_factory.mktemp("gate") / "repo"
    assert _run(ROOT, "git", "clone", "-q", str(ROOT), str(target)).returncode == 0
    assert _run(target, "git", "tag", "v0.9.0").returncode == 0
    return target


def _rows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in report["rows"]}


def test_unchanged_contracts_pass_against_the_last_release_tag(clone: Path) -> None:
    code, report = _gate(clone, "--only", "contracts,config")
    assert report["against"] == "v0.9.0"
    rows = _rows(report)
    assert rows["contracts"]["status"] == "pass", rows["contracts"]
    assert rows["config"]["status"] == "pass", rows["config"]
    assert rows["contracts"]["seconds"] > 0
    assert (code, report["passed"]) == (0, True)


def test_a_breaking_contract_change_fails_the_gate(clone: Path) -> None:
    contract = clone / "shop" / "inventory" / "contract.py"
    source = contract.read_text()
    assert 'path="/reservations"' in source
    contract.write_text(source.replace('path="/reservations"', 'path="/holds"', 1))
    try:
        code, report = _gate(clone, "--only", "contracts")
    finally:
        contract.write_text(source)
    row = _rows(report)["contracts"]
    assert row["status"] == "fail"
    assert "break their clients" in row["detail"]
    assert (code, report["passed"]) == (1, False)


def test_a_narrowed_setting_fails_the_configuration_row(clone: Path) -> None:
    bootstrap = clone / "shop" / "orders" / "bootstrap.py"
    source = bootstrap.read_text()
    assert 'pattern="^[A-Z]{3}$"' in source
    bootstrap.write_text(source.replace('pattern="^[A-Z]{3}$"', 'pattern="^EUR$"', 1))
    try:
        code, report = _gate(clone, "--only", "config")
    finally:
        bootstrap.write_text(source)
    row = _rows(report)["config"]
    assert row["status"] == "fail"
    assert "1 breaking change(s) in 4 settings schema(s) against v0.9.0" in row["detail"]
    assert code == 1


def test_a_skipped_suite_is_not_a_pass(clone: Path) -> None:
    code, report = _gate(clone, "--only", "tests", "--skip-tests")
    assert _rows(report)["tests"]["status"] == "skipped"
    assert code == 1


def test_an_unknown_check_is_bad_input(clone: Path) -> None:
    result = _run(clone, sys.executable, "-m", "accord", "release", "gate", "--only", "lint")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "accord: unknown check(s) lint (known: contracts, config, pacts, ruff, ruff-format, "
        "mypy, audit, deploy, tests)"
    ]


def test_the_table_names_each_check_with_its_result_and_time(clone: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(clone), "ACCORD_HOME": str(clone / ".accord")}
    result = subprocess.run(
        [sys.executable, "-m", "accord", "release", "gate", "--only", "contracts,config"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    contracts = next(line for line in lines if "contracts against v0.9.0" in line)
    assert "pass" in contracts
    assert " s " in contracts or contracts.rstrip("│ ").endswith("s")
    assert any("pass" in line and "configuration schemas" in line for line in lines)
    assert lines[-1] == "gate passed"


def test_an_unreachable_advisory_service_is_not_a_pass(clone: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/pypi/{{name}}/{{version}}/json"
    code, report = _gate(clone, "--only", "audit", ACCORD_ADVISORY_PROBES=closed)
    row = _rows(report)["audit"]
    assert row["status"] == "not checked"
    assert row["detail"].startswith("not checked: unreachable")
    assert code == 1


def test_the_audit_passes_on_a_local_advisory_copy_that_names_no_locked_pin(
    clone: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "advisory-database" / "vulns" / "nothing-we-use"
    folder.mkdir(parents=True)
    advisory = {
        "id": "PYSEC-TEST-0",
        "summary": "a package the lock does not hold",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "nothing-we-use"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
            }
        ],
    }
    (folder / "PYSEC-TEST-0.json").write_text(json.dumps(advisory))
    osv = str(tmp_path / "advisory-database")
    code, report = _gate(clone, "--only", "audit", "--osv-dir", osv)
    assert _rows(report)["audit"]["status"] == "pass", report
    assert code == 0
