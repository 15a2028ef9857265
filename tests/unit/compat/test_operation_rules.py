"""Operations, parameters, bodies, responses, security and accord's extensions."""

from __future__ import annotations

from typing import Any

import pytest

from accord import compat
from tests.unit.compat.fixtures.build import encode
from tests.unit.compat.fixtures.operation_cases import OPERATION_CASES


def ids(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    base = compat.parse(encode(before), source="base")
    revision = compat.parse(encode(after), source="revision")
    return sorted(c.id for c in compat.diff(base, revision))


CASES = [pytest.param(*case[1:], id=case[0]) for case in OPERATION_CASES]


@pytest.mark.parametrize(("before", "after", "expected", "reverse"), CASES)
def test_the_change_reports_exactly_its_rules(
    before: dict[str, Any], after: dict[str, Any], expected: list[str], reverse: list[str]
) -> None:
    assert ids(before, after) == sorted(expected)


@pytest.mark.parametrize(("before", "after", "expected", "reverse"), CASES)
def test_the_reversed_change_reports_the_opposite(
    before: dict[str, Any], after: dict[str, Any], expected: list[str], reverse: list[str]
) -> None:
    assert ids(after, before) == sorted(reverse)
