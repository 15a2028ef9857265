"""Judging a candidate from Envoy's figures: counts in the analysis' terms, the objectives
a rollout uses, and never a pass on too little evidence or past a missed objective."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord import project as projects
from accord.dataplane.stats import VersionStats
from accord.release.analysis import Verdict
from accord.rollout.analysis import counts, default_objectives, failing, judge, objectives_for
from accord.slo import SLI, SLOError

ROOT = Path(__file__).resolve().parents[3]
OBJECTIVES = default_objectives(
    availability_target=0.99, latency_threshold=0.25, latency_target=0.9
)


def _stats(good: int, errors: int, fast: int) -> VersionStats:
    total = good + errors
    fast = min(fast, total)
    return VersionStats({"2xx": good, "5xx": errors}, ((250.0, fast), (math.inf, total)))


def test_envoy_milliseconds_become_seconds() -> None:
    measured = counts(_stats(90, 10, 80))
    assert measured.requests == 100 and measured.server_errors == 10
    assert measured.buckets == ((0.25, 80), (math.inf, 100))


def test_answers_not_yet_in_the_histogram_are_not_taken_for_slow_ones() -> None:
    lagging = VersionStats({"2xx": 10}, ((250.0, 9), (math.inf, 9)))
    assert counts(lagging).buckets == ((0.25, 10), (math.inf, 10))
    assert judge(lagging, None, OBJECTIVES, min_requests=10).verdict is Verdict.PASS


counts_st = st.integers(min_value=0, max_value=5000)


@given(good=counts_st, errors=counts_st, fast=counts_st, min_requests=st.integers(1, 1000))
def test_never_promotes_on_too_few_requests(
    good: int, errors: int, fast: int, min_requests: int
) -> None:
    result = judge(_stats(good, errors, fast), None, OBJECTIVES, min_requests=min_requests)
    if good + errors < min_requests:
        assert result.verdict is not Verdict.PASS


@given(good=counts_st, errors=counts_st, fast=counts_st)
def test_a_candidate_worse_than_the_slo_never_passes(good: int, errors: int, fast: int) -> None:
    stats = _stats(good, errors, fast)
    result = judge(stats, None, OBJECTIVES, min_requests=1)
    total = good + errors
    if total and (good / total < 0.99 or min(fast, total) / total < 0.9):
        assert result.verdict is Verdict.FAIL
        assert all(f.value < f.threshold for f in result.findings)


def test_the_reason_names_the_sli_its_value_and_the_threshold() -> None:
    result = judge(_stats(80, 20, 100), None, OBJECTIVES, min_requests=50)
    assert result.reason == "availability: availability 80.00% < 99.00% (SLO)"
    slow = judge(_stats(100, 0, 0), None, OBJECTIVES, min_requests=50)
    assert slow.reason == "latency: latency 0.00% < 90.00% (SLO)"


def test_one_bad_answer_is_the_first_failure() -> None:
    assert not failing(_stats(100, 0, 100), OBJECTIVES)
    assert failing(_stats(99, 1, 100), OBJECTIVES)
    assert failing(_stats(100, 0, 99), OBJECTIVES)


def test_a_latency_threshold_off_the_histogram_is_refused() -> None:
    with pytest.raises(SLOError):
        default_objectives(latency_threshold=0.3)


def test_declared_service_wide_objectives_win_and_defaults_fill_the_gaps() -> None:
    project = projects.load(ROOT / "accord.toml", environ={})
    for service in project.services:
        chosen = objectives_for(project, service, OBJECTIVES)
        assert all(not o.route for o in chosen), "Envoy counts per version, not per operation"
        assert {o.sli for o in chosen} == {SLI.AVAILABILITY, SLI.LATENCY}
        declared = [o for o in chosen if o not in OBJECTIVES]
        assert declared, f"{service} declares its own objectives"


def test_answers_not_yet_timed_are_neither_fast_nor_slow() -> None:
    untimed = VersionStats({"2xx": 3}, ((250.0, 0), (math.inf, 0)))
    assert counts(untimed).buckets == ()
    assert judge(untimed, None, OBJECTIVES, min_requests=10).verdict is Verdict.NOT_ENOUGH_DATA
    assert judge(untimed, None, OBJECTIVES, min_requests=3).verdict is Verdict.NOT_ENOUGH_DATA


def test_a_failure_that_is_certain_is_not_waited_for() -> None:
    # 3 errors in 5: even 97 good answers more would leave 97 % < 99 % at 100 requests
    early = judge(_stats(2, 3, 5), None, OBJECTIVES, min_requests=100)
    assert early.verdict is Verdict.FAIL
    assert early.reason == "availability: availability 97.00% < 99.00% (SLO)"
    # 1 error in 5: 99 % is still within reach
    assert judge(_stats(4, 1, 5), None, OBJECTIVES, min_requests=100).verdict is (
        Verdict.NOT_ENOUGH_DATA
    )
