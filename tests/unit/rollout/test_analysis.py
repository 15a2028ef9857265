"""Judging a candidate: never on too little evidence, never past a missed objective."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from accord.dataplane.stats import VersionStats
from accord.rollout.analysis import Verdict, default_goals, judge

GOALS = default_goals(availability=0.99, latency_threshold=0.25, latency_target=0.9)


def _stats(good: int, errors: int, fast: int) -> VersionStats:
    total = good + errors
    fast = min(fast, total)
    return VersionStats({"2xx": good, "5xx": errors}, ((250.0, fast), (math.inf, total)))


counts = st.integers(min_value=0, max_value=5000)


@given(good=counts, errors=counts, fast=counts, min_requests=st.integers(1, 1000))
def test_never_promotes_on_too_few_requests(
    good: int, errors: int, fast: int, min_requests: int
) -> None:
    verdict = judge(_stats(good, errors, fast), None, GOALS, min_requests=min_requests).verdict
    if good + errors < min_requests:
        assert verdict is Verdict.WAIT


@given(good=counts, errors=counts, fast=counts)
def test_a_candidate_worse_than_the_slo_never_passes(good: int, errors: int, fast: int) -> None:
    stats = _stats(good, errors, fast)
    result = judge(stats, None, GOALS, min_requests=1)
    availability = stats.error_rate()
    latency = stats.share_within(250)
    if availability is not None and (1 - availability < 0.99 or (latency or 1) < 0.9):
        assert result.verdict is Verdict.FAIL
        assert result.value is not None and result.threshold is not None
        assert result.value < result.threshold


def test_the_reason_names_the_sli_its_value_and_the_threshold() -> None:
    result = judge(_stats(80, 20, 100), None, GOALS, min_requests=50)
    assert result.verdict is Verdict.FAIL
    assert result.reason == "availability 80.00% < 99.00% (SLO)"
    slow = judge(_stats(100, 0, 0), None, GOALS, min_requests=50)
    assert slow.reason == "latency within 250 ms 0.00% < 90.00% (SLO)"


def test_a_candidate_much_worse_than_stable_fails_against_stable() -> None:
    candidate = _stats(9930, 70, 10000)  # 99.3 %: meets the 99 % SLO, not stable's 100 %
    stable = _stats(10000, 0, 10000)  # 100 %
    result = judge(candidate, stable, GOALS, min_requests=100)
    assert result.verdict is Verdict.FAIL and result.reason.endswith("(stable)")
    assert judge(candidate, None, GOALS, min_requests=100).verdict is Verdict.PASS
