"""The rule catalogue: well-formed ids, every rule exercised by a fixture, docs in sync."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accord import compat
from tests.unit.compat.fixtures.build import SCHEMA_CONTEXTS
from tests.unit.compat.fixtures.operation_cases import OPERATION_CASES
from tests.unit.compat.fixtures.schema_cases import SCHEMA_CASES

ROOT = Path(__file__).resolve().parents[3]
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _exercised() -> set[str]:
    found: set[str] = set()
    for context in SCHEMA_CONTEXTS:
        for kind, reverse, _, _ in SCHEMA_CASES:
            found |= {f"{context}-{kind}", f"{context}-{reverse}"}
    for _, _, _, expected, reverse in OPERATION_CASES:
        found |= set(expected) | set(reverse)
    return found


def test_every_rule_has_a_fixture_pair() -> None:
    missing = sorted(set(compat.RULES) - _exercised())
    assert not missing, f"rules without a fixture: {missing}"


def test_fixtures_name_only_declared_rules() -> None:
    assert not sorted(_exercised() - set(compat.RULES))


@pytest.mark.parametrize("rule", list(compat.RULES.values()), ids=list(compat.RULES))
def test_each_rule_is_complete(rule: compat.Rule) -> None:
    assert KEBAB.match(rule.id)
    assert isinstance(rule.level, compat.Level)
    assert rule.description.endswith(".") and "\n" not in rule.description
    assert rule.before and rule.after and rule.before != rule.after


def test_the_catalogue_is_broad() -> None:
    breaking = [r for r in compat.RULES.values() if r.level is compat.Level.BREAKING]
    assert len(compat.RULES) >= 350
    assert len(breaking) >= 140


def test_docs_compat_rules_is_generated_from_the_catalogue() -> None:
    committed = (ROOT / "docs" / "compat-rules.md").read_text(encoding="utf-8")
    assert committed == compat.rules_markdown(), (
        "docs/compat-rules.md is stale: run "
        "`.venv/bin/python -m accord.compat.rules > docs/compat-rules.md`"
    )


def test_the_rules_module_prints_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    from accord.compat import rules

    rules.main()
    assert capsys.readouterr().out == compat.rules_markdown()
