"""The committed OpenAPI documents in ``contracts/`` match what the code generates.

Other teams generate clients from those files, so a contract change must come with its
regenerated document: run ``make contracts`` and commit the result.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path

import pytest

from accord import Contract, openapi
from accord.project import import_object, load

ROOT = Path(__file__).resolve().parents[2]
PROJECT_FILE = ROOT / "accord.toml"
FIX = "run `make contracts` and commit the files in contracts/"


def _refs() -> list[str]:
    """Every contract reference in accord.toml, read without importing anything."""
    data = tomllib.loads(PROJECT_FILE.read_text(encoding="utf-8"))
    return [ref for spec in data.get("services", {}).values() for ref in spec.get("contracts", [])]


def _contract(ref: str) -> type[Contract]:
    obj = import_object(ref)
    assert isinstance(obj, type) and issubclass(obj, Contract), f"{ref} is not a Contract"
    return obj


def test_the_project_declares_contracts() -> None:
    assert _refs(), f"{PROJECT_FILE} lists no contracts"


@pytest.mark.parametrize("ref", _refs())
def test_committed_document_matches_the_code(ref: str) -> None:
    contract = _contract(ref)
    expected = openapi.render(contract)
    path = load(PROJECT_FILE).contracts_dir / openapi.filename(contract)
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing: {FIX}"
    committed = path.read_bytes()
    if committed != expected:
        diff = difflib.unified_diff(
            committed.decode("utf-8", "replace").splitlines(),
            expected.decode("utf-8").splitlines(),
            fromfile=f"{path.relative_to(ROOT)} (committed)",
            tofile=f"{ref} (code)",
            lineterm="",
            n=2,
        )
        shown = "\n".join(list(diff)[:40])
        pytest.fail(f"{path.relative_to(ROOT)} differs from the code: {FIX}\n{shown}")


def test_no_stale_documents() -> None:
    folder = load(PROJECT_FILE).contracts_dir
    expected = {openapi.filename(_contract(ref)) for ref in _refs()}
    present = {p.name for p in folder.glob("*.openapi.json")} if folder.is_dir() else set()
    stale = sorted(present - expected)
    assert not stale, (
        f"contracts/ holds documents no contract in accord.toml generates: {stale}; "
        "remove them (or add their contract back to accord.toml)"
    )
