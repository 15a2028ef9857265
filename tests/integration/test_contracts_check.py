"""``accord contracts check``: the code against the published contracts.

It runs against this repository's committed documents (so ``make test`` refuses a
contract broken without a new major version), and against a copy of the project whose
code lost a response field, with the committed files and with a git ref as the base.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIELD = "    currency: str\n"


def accord(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "accord", "contracts", "check", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project: accord.toml, the shop's code and the published contracts."""
    shutil.copy(ROOT / "accord.toml", tmp_path / "accord.toml")
    shutil.copytree(ROOT / "contracts", tmp_path / "contracts")
    shutil.copytree(ROOT / "shop", tmp_path / "shop", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def remove_field(project: Path) -> None:
    contract = project / "shop" / "orders" / "contract.py"
    text = contract.read_text(encoding="utf-8")
    assert text.count(FIELD) == 1
    contract.write_text(text.replace(FIELD, ""), encoding="utf-8")


def test_the_code_is_compatible_with_the_committed_contracts() -> None:
    done = accord(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        "ok: identity.v1.openapi.json",
        "ok: inventory.v1.openapi.json",
        "ok: orders.v1.openapi.json",
        "ok: orders.v2.openapi.json",
        "ok: payments.v1.openapi.json",
    ]
    assert "compatible with contracts: 5 contract document(s)" in done.stderr


def test_a_removed_field_fails_naming_the_rule(project: Path) -> None:
    assert accord(project).returncode == 0
    remove_field(project)
    done = accord(project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL: orders.v1.openapi.json" in done.stdout
    assert "response-body-required-property-removed" in done.stdout
    assert "$.currency" in done.stdout
    assert "within major version 1" in done.stderr
    assert "orders.v2.openapi.json" in done.stderr
    assert done.stderr.splitlines()[-1] == (
        "accord: 1 contract document(s) break their clients: orders.v1.openapi.json"
    )


def test_against_a_git_ref(project: Path) -> None:
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "published")
    remove_field(project)
    # the committed files are regenerated too, as a careless change would do
    exported = subprocess.run(
        [sys.executable, "-m", "accord", "contracts", "export"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert exported.returncode == 0, exported.stderr
    assert accord(project).returncode == 0  # the files now agree with the code
    done = accord(project, "--against", "HEAD")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "response-body-required-property-removed" in done.stdout
    assert "accord: unknown git ref 'nope'" in accord(project, "--against", "nope").stderr


def test_json_output(project: Path) -> None:
    remove_field(project)
    done = accord(project, "--format", "json")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert sorted(data) == [
        "identity.v1.openapi.json",
        "inventory.v1.openapi.json",
        "orders.v1.openapi.json",
        "orders.v2.openapi.json",
        "payments.v1.openapi.json",
    ]
    assert data["orders.v2.openapi.json"] == []
    assert {c["id"] for c in data["orders.v1.openapi.json"]} == {
        "response-body-required-property-removed"
    }
