"""The public surface of accord.release and accord.slo is exactly this, and documented."""

from __future__ import annotations

import inspect

import pytest

import accord.release as release
import accord.slo as slo

PUBLIC = {
    release: [
        "DEFAULT_PLAN",
        "Analysis",
        "CanaryPlan",
        "Finding",
        "Manifest",
        "Release",
        "ReleaseError",
        "Verdict",
        "analyse",
        "find",
        "listing",
        "releases_dir",
        "version_id",
    ],
    slo: [
        "DEFAULT_WINDOW",
        "SLI",
        "Counts",
        "Objective",
        "SLOError",
        "availability",
        "budget_left",
        "burn_rate",
        "latency",
        "sli",
    ],
}


@pytest.mark.parametrize("module", list(PUBLIC), ids=lambda m: m.__name__)
def test_public_names_are_exactly_these(module: object) -> None:
    assert sorted(module.__all__) == sorted(PUBLIC[module])  # type: ignore[attr-defined]


@pytest.mark.parametrize("module", list(PUBLIC), ids=lambda m: m.__name__)
def test_every_public_callable_is_documented(module: object) -> None:
    for name in module.__all__:  # type: ignore[attr-defined]
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), f"{module.__name__}.{name} has no docstring"  # type: ignore[attr-defined]
