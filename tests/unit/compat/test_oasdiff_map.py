"""The mapping of oasdiff's breaking rules: every accord id exists, the docs are in sync."""

from __future__ import annotations

from pathlib import Path

from accord import compat
from tests.unit.compat.oasdiff_map import OASDIFF_ERR, OASDIFF_WARN, markdown

ROOT = Path(__file__).resolve().parents[3]


def test_every_accord_rule_named_exists() -> None:
    named = {r for _, m in (*OASDIFF_ERR, *OASDIFF_WARN) if not isinstance(m, str) for r in m}
    assert sorted(named - set(compat.RULES)) == []


def test_oasdiff_ids_are_listed_once() -> None:
    ids = [i for i, _ in OASDIFF_ERR]
    assert len(ids) == len(set(ids)) == 269


def test_every_applicable_rule_is_covered_and_most_as_breaking() -> None:
    applicable = [m for _, m in OASDIFF_ERR if not isinstance(m, str)]
    breaking = [
        m for m in applicable if any(compat.RULES[r].level is compat.Level.BREAKING for r in m)
    ]
    assert len(breaking) / len(applicable) >= 0.9
    assert all(m for m in applicable)


def test_docs_compat_oasdiff_map_is_generated() -> None:
    committed = (ROOT / "docs" / "compat-oasdiff-map.md").read_text(encoding="utf-8")
    assert committed == markdown(), (
        "docs/compat-oasdiff-map.md is stale: run "
        "`.venv/bin/python -m tests.unit.compat.oasdiff_map > docs/compat-oasdiff-map.md`"
    )
