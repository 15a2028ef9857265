"""OSV ranges as the schema defines them, for PyPI versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.advisories import AdvisoryError, Pin, audit_lock, load_advisories, read_lock


def _write(folder: Path, name: str, affected: list[dict[str, object]], **extra: object) -> None:
    doc = {"id": name, "summary": f"{name} summary", "affected": affected, **extra}
    (folder / f"{name}.json").write_text(json.dumps(doc))


def _pkg(name: str = "Some_Pkg", **affected: object) -> dict[str, object]:
    return {"package": {"ecosystem": "PyPI", "name": name}, **affected}


def _ranged(*events: dict[str, str]) -> dict[str, object]:
    return _pkg(ranges=[{"type": "ECOSYSTEM", "events": list(events)}])


def _affects(tmp_path: Path, affected: dict[str, object], version: str) -> bool:
    _write(tmp_path, "PYSEC-1", [affected])
    (advisory,) = load_advisories(tmp_path)["some-pkg"]
    return advisory.affects(version)


@pytest.mark.parametrize(
    ("version", "expected"),
    [("0.9", False), ("1.0", True), ("1.4.2", True), ("2.0", False), ("2.0.1", False)],
)
def test_introduced_up_to_fixed(tmp_path: Path, version: str, expected: bool) -> None:
    affected = _ranged({"introduced": "1.0"}, {"fixed": "2.0"})
    assert _affects(tmp_path, affected, version) is expected


@pytest.mark.parametrize(("version", "expected"), [("1.5", True), ("1.5.1", False)])
def test_last_affected_is_included(tmp_path: Path, version: str, expected: bool) -> None:
    affected = _ranged({"introduced": "0"}, {"last_affected": "1.5"})
    assert _affects(tmp_path, affected, version) is expected


def test_two_windows_in_one_range(tmp_path: Path) -> None:
    affected = _ranged(
        {"introduced": "0"}, {"fixed": "1.2"}, {"introduced": "2.0"}, {"fixed": "2.3.1"}
    )
    got = {v: _affects(tmp_path, affected, v) for v in ("1.1", "1.2", "1.9", "2.0", "2.3.1")}
    assert got == {"1.1": True, "1.2": False, "1.9": False, "2.0": True, "2.3.1": False}


def test_events_in_any_order_and_pre_releases_by_pep_440(tmp_path: Path) -> None:
    affected = _ranged({"fixed": "3.0.0rc2"}, {"introduced": "3.0.0a1"})
    assert _affects(tmp_path, affected, "3.0.0rc1") is True
    assert _affects(tmp_path, affected, "3.0.0") is False


def test_explicit_versions_and_git_ranges(tmp_path: Path) -> None:
    affected = _pkg(
        versions=["0.5"],
        ranges=[{"type": "GIT", "repo": "x", "events": [{"introduced": "0"}]}],
    )
    assert _affects(tmp_path, affected, "0.5") is True
    assert _affects(tmp_path, affected, "0.6") is False


@given(
    lo=st.integers(0, 50), hi=st.integers(0, 50), v=st.integers(0, 60)
)  # a range [lo, hi) in minor versions
def test_a_window_is_half_open_and_events_apply_in_version_order(lo: int, hi: int, v: int) -> None:
    from packaging.version import Version

    from accord.advisories.osv import _Range

    window = _Range((("introduced", f"1.{lo}"), ("fixed", f"1.{hi}")))
    # Events apply in version order: a fix before the introduction ends nothing.
    expected = v >= lo and not (lo <= hi <= v)
    assert window.covers(Version(f"1.{v}")) is expected


def test_yaml_advisories_of_pypas_database_and_other_ecosystems(tmp_path: Path) -> None:
    (tmp_path / "vulns" / "some-pkg").mkdir(parents=True)
    (tmp_path / "vulns" / "some-pkg" / "PYSEC-2.yaml").write_text(
        "id: PYSEC-2\naliases: [CVE-2026-1]\naffected:\n- package: {name: some-pkg, "
        "ecosystem: PyPI}\n  ranges:\n  - type: ECOSYSTEM\n    events:\n"
        "    - introduced: '0'\n    - fixed: 1.1.0\n"
    )
    _write(tmp_path, "GHSA-npm", [{"package": {"ecosystem": "npm", "name": "some-pkg"}}])
    found = load_advisories(tmp_path)
    assert [a.id for a in found["some-pkg"]] == ["PYSEC-2"]
    assert found["some-pkg"][0].aliases == ("CVE-2026-1",)
    findings = audit_lock([Pin("some-pkg", "1.0.9"), Pin("other", "1.0")], found)
    assert [(f.pin.version, f.advisory.id, f.fixed_in) for f in findings] == [
        ("1.0.9", "PYSEC-2", "1.1.0")
    ]


def test_a_folder_without_advisories_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryError, match="holds no OSV advisory"):
        load_advisories(tmp_path)
    with pytest.raises(AdvisoryError, match="is not a folder"):
        load_advisories(tmp_path / "missing")


def test_lock_pins_are_read_with_canonical_names(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        "# a comment\nPyJWT[crypto]==2.10.1 \\\n    --hash=sha256:abc\n"
        "zope.interface==7.0 ; python_version >= '3.11'\n    # via x\n"
    )
    assert read_lock(lock) == [Pin("pyjwt", "2.10.1"), Pin("zope-interface", "7.0")]
