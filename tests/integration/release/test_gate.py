"""``accord release gate`` as a release pipeline runs it, in a clone of the repository.

Rows are selected (``--only``) to keep it fast; each row is the real command.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import free_port
from tests.support.repos import accord_in, clone_repository, edited


def _gate(clone: Path, *args: str, **extra: str) -> tuple[int, dict[str, Any]]:
    result = accord_in(clone, "release", "gate", "--json", *args, **extra)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository as committed, with a release tag on its HEAD."""
    return clone_repository(tmp_path_factory.mktemp("gate") / "repo", tag="v0.9.0")


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
    with edited(contract, '"/reservations",', '"/holds",'):  # reserve's path moves
        code, report = _gate(clone, "--only", "contracts")
    row = _rows(report)["contracts"]
    assert row["status"] == "fail"
    assert "break their clients" in row["detail"]
    assert (code, report["passed"]) == (1, False)


def test_a_narrowed_setting_fails_the_configuration_row(clone: Path) -> None:
    bootstrap = clone / "shop" / "orders" / "bootstrap.py"
    with edited(bootstrap, 'pattern="^[A-Z]{3}$"', 'pattern="^EUR$"'):
        code, report = _gate(clone, "--only", "config")
    row = _rows(report)["config"]
    assert row["status"] == "fail"
    assert "1 breaking change(s) in 4 settings schema(s) against v0.9.0" in row["detail"]
    assert code == 1


def test_a_skipped_suite_is_not_a_pass(clone: Path) -> None:
    code, report = _gate(clone, "--only", "tests", "--skip-tests")
    assert _rows(report)["tests"]["status"] == "skipped"
    assert code == 1


def test_an_unknown_check_is_bad_input(clone: Path) -> None:
    result = accord_in(clone, "release", "gate", "--only", "lint")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "accord: unknown check(s) lint (known: contracts, config, pacts, ruff, ruff-format, "
        "mypy, audit, deploy, tests)"
    ]


def test_the_table_names_each_check_with_its_result_and_time(clone: Path) -> None:
    result = accord_in(clone, "release", "gate", "--only", "contracts,config")
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
