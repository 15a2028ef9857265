"""The rule catalogue: every finding the checker can report, by stable id."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from accord.compat.catalogue.api_rules import api_rules
from accord.compat.catalogue.schema_rules import schema_rules
from accord.compat.types import Level, Rule

__all__ = ["RULES", "rule"]


def _build() -> Mapping[str, Rule]:
    rules: dict[str, Rule] = {}
    for r in (*api_rules(), *schema_rules()):
        if r.id in rules:  # pragma: no cover - guards the tables
            raise ValueError(f"duplicate rule id {r.id}")
        rules[r.id] = r
    return MappingProxyType(rules)


#: Rule id → rule, operations first, then schemas by context.
RULES: Mapping[str, Rule] = _build()


def rule(rule_id: str) -> Rule:
    """The rule ``rule_id``; a ``KeyError`` means the checker uses an id it never declared."""
    return RULES[rule_id]


def count(level: Level) -> int:
    """How many rules have ``level``."""
    return sum(1 for r in RULES.values() if r.level is level)
