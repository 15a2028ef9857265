"""Where oasdiff's own fixture pairs and accord were seen to disagree: each case pinned,
with exact ids and levels, both ways (``docs/compat.md`` argues each)."""

from __future__ import annotations

from typing import Any

import pytest

from accord import compat
from tests.unit.compat.fixtures.build import encode
from tests.unit.compat.fixtures.oasdiff_cases import OASDIFF_CASES


def findings(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str]]:
    base = compat.parse(encode(before), source="base")
    revision = compat.parse(encode(after), source="revision")
    return sorted((c.id, c.level.value) for c in compat.diff(base, revision))


CASES = [pytest.param(*case[1:], id=case[0]) for case in OASDIFF_CASES]


@pytest.mark.parametrize(("before", "after", "expected", "reverse"), CASES)
def test_the_pair_reports_exactly_these_findings(
    before: dict[str, Any], after: dict[str, Any], expected: Any, reverse: Any
) -> None:
    assert findings(before, after) == sorted(expected)


@pytest.mark.parametrize(("before", "after", "expected", "reverse"), CASES)
def test_the_reversed_pair_reports_the_opposite(
    before: dict[str, Any], after: dict[str, Any], expected: Any, reverse: Any
) -> None:
    assert findings(after, before) == sorted(reverse)
