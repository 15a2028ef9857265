"""``accord contracts export|show``, run as a real process in a project of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accord import openapi
from tests.unit.openapi.sample_contract import Catalog

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = "tests.unit.openapi.sample_contract"

PROJECT = f"""
[project]
contracts_dir = "published"

[services.catalog]
app = "{SAMPLE}:create_app"
contracts = ["{SAMPLE}:Catalog"]

[services.loans]
app = "loans:create_app"
contracts = ["loans:Loans"]
"""

# A contract module that lives in the project folder itself, not on PYTHONPATH.
LOANS = '''
import msgspec
from accord import Contract, operation

class Loan(msgspec.Struct):
    book_id: str

class Loans(Contract, name="loans", version="1.0.0"):
    """Books lent out."""
    lend = operation(Loan, Loan)
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "accord.toml").write_text(PROJECT, encoding="utf-8")
    (tmp_path / "loans.py").write_text(LOANS, encoding="utf-8")
    return tmp_path


def accord(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "accord", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("accord: ")
    return lines[0]


def test_export_writes_every_contract(project: Path) -> None:
    done = accord(project, "contracts", "export", "--out", "tmp")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "wrote tmp/catalog.v2.openapi.json",
        "wrote tmp/loans.v1.openapi.json",
    ]
    assert (project / "tmp" / "catalog.v2.openapi.json").read_bytes() == openapi.render(Catalog)
    assert b'"operationId": "lend"' in (project / "tmp" / "loans.v1.openapi.json").read_bytes()


def test_export_defaults_to_the_projects_contracts_dir(project: Path) -> None:
    done = accord(project, "contracts", "export")
    assert done.returncode == 0, done.stderr
    assert "wrote published/catalog.v2.openapi.json" in done.stdout.splitlines()
    assert (project / "published" / "loans.v1.openapi.json").is_file()


def test_check_passes_when_in_sync_and_writes_nothing(project: Path) -> None:
    assert accord(project, "contracts", "export", "--out", "tmp").returncode == 0
    before = {p.name: p.stat().st_mtime_ns for p in (project / "tmp").iterdir()}
    done = accord(project, "contracts", "export", "--out", "tmp", "--check")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("up to date: 2 contract document(s)")
    assert {p.name: p.stat().st_mtime_ns for p in (project / "tmp").iterdir()} == before


def test_check_lists_missing_and_differing_files(project: Path) -> None:
    assert accord(project, "contracts", "export", "--out", "tmp").returncode == 0
    catalog = project / "tmp" / "catalog.v2.openapi.json"
    catalog.write_bytes(catalog.read_bytes().replace(b'"2.3.1"', b'"2.3.0"'))
    (project / "tmp" / "loans.v1.openapi.json").unlink()

    done = accord(project, "contracts", "export", "--out", "tmp", "--check")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "differs: tmp/catalog.v2.openapi.json",
        "missing: tmp/loans.v1.openapi.json",
    ]
    assert done.stderr.strip() == (
        "accord: 2 contract document(s) out of date; run `accord contracts export --out tmp`"
    )
    assert not (project / "tmp" / "loans.v1.openapi.json").exists()


def test_show_prints_one_document(project: Path) -> None:
    done = accord(project, "contracts", "show", "catalog")
    assert done.returncode == 0, done.stderr
    assert done.stdout.encode("utf-8") == openapi.render(Catalog)
    assert accord(project, "contracts", "show", "catalog.v2").stdout == done.stdout
    line = one_line_error(accord(project, "contracts", "show", "shelves"))
    assert line == "accord: no contract named 'shelves' (known: catalog, loans)"


def test_a_broken_project_file_is_one_line_and_exit_2(project: Path) -> None:
    (project / "accord.toml").write_text("[services.catalog\napp = 1\n", encoding="utf-8")
    line = one_line_error(accord(project, "contracts", "export", "--out", "tmp"))
    assert "accord.toml" in line
    assert not (project / "tmp").exists()


def test_no_project_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    line = one_line_error(accord(tmp_path, "contracts", "export", "--check"))
    assert "no accord.toml" in line


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("nowhere.contract:Nope", "cannot import nowhere.contract"),
        (f"{SAMPLE}:Missing", "has no attribute 'Missing'"),
        (f"{SAMPLE}:NOT_A_CONTRACT", "is not a Contract subclass"),
        ("explodes:Boom", "cannot load explodes:Boom: RuntimeError: the shelf collapsed"),
    ],
)
def test_a_bad_contract_reference_is_one_line_and_exit_2(
    project: Path, ref: str, expected: str
) -> None:
    (project / "explodes.py").write_text(
        'raise RuntimeError("the shelf collapsed")\n', encoding="utf-8"
    )
    (project / "accord.toml").write_text(
        f'[services.catalog]\napp = "x:y"\ncontracts = ["{ref}"]\n', encoding="utf-8"
    )
    line = one_line_error(accord(project, "contracts", "export", "--out", "tmp"))
    assert expected in line
