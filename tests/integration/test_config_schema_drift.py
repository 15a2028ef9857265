"""The committed JSON Schemas in ``config/schemas/`` match the services' settings classes.

Editors check the configuration files with them, so a settings change must come with
its regenerated schema: run ``accord config schemas`` and commit the result.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path

import pytest

from accord.config import schema
from accord.project import import_object

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "config" / "schemas"
FIX = "run `accord config schemas` and commit the files in config/schemas/"


def _settings() -> dict[str, str]:
    data = tomllib.loads((ROOT / "accord.toml").read_text(encoding="utf-8"))
    return {n: s["settings"] for n, s in data.get("services", {}).items() if s.get("settings")}


def test_every_service_declares_its_settings() -> None:
    data = tomllib.loads((ROOT / "accord.toml").read_text(encoding="utf-8"))
    assert set(_settings()) == set(data["services"])


@pytest.mark.parametrize(("service", "ref"), sorted(_settings().items()))
def test_committed_schema_matches_the_code(service: str, ref: str) -> None:
    cls = import_object(ref)
    path = FOLDER / schema.filename(service, cls)
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing: {FIX}"
    expected = schema.render(service, cls)
    committed = path.read_bytes()
    if committed != expected:
        diff = difflib.unified_diff(
            committed.decode().splitlines(), expected.decode().splitlines(), lineterm="", n=2
        )
        pytest.fail(
            f"{path.relative_to(ROOT)} differs from {ref}: {FIX}\n" + "\n".join(list(diff)[:40])
        )


def test_no_stale_schemas() -> None:
    expected = {schema.filename(s, import_object(r)) for s, r in _settings().items()}
    stale = sorted({p.name for p in FOLDER.glob("*.json")} - expected)
    assert not stale, f"config/schemas/ holds schemas no service generates: {stale}"
