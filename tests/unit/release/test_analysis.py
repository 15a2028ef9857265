"""The release analysis: pass, fail or not enough data, and why."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.release.analysis import Verdict, analyse
from accord.slo import Counts, availability, latency, sli
from accord.slo.objectives import Objective

AVAILABILITY = availability(0.99)
LATENCY = latency(0.25, 0.95)
OBJECTIVES = (AVAILABILITY, LATENCY)


def counts(requests: int, errors: int = 0, slow: int = 0) -> Counts:
    """``requests`` answered, ``errors`` of them 5xx, ``slow`` of them over 0.25 s."""
    fast = requests - slow
    return Counts(
        requests=requests,
        server_errors=errors,
        buckets=((0.1, fast), (0.25, fast), (0.5, requests), (1.0, requests)),
    )


@st.composite
def sample(draw: st.DrawFn, max_requests: int = 5_000) -> Counts:
    requests = draw(st.integers(0, max_requests))
    errors = draw(st.integers(0, requests))
    slow = draw(st.integers(0, requests))
    return counts(requests, errors, slow)


targets = st.floats(0.5, 0.9999)


def test_a_healthy_candidate_passes() -> None:
    result = analyse(counts(1000, errors=1, slow=10), counts(9000, 9, 90), OBJECTIVES)
    assert result.verdict is Verdict.PASS
    assert result.passed
    assert "1000 requests" in result.reason


def test_errors_fail_on_availability_with_its_value_and_threshold() -> None:
    result = analyse(counts(1000, errors=200), counts(9000), OBJECTIVES)
    assert result.verdict is Verdict.FAIL
    assert result.reason == "availability: availability 80.00% < 99.00% (SLO)"
    (finding,) = result.findings
    assert (finding.sli, finding.against) == ("availability", "slo")
    assert finding.value == pytest.approx(0.8)
    assert finding.threshold == pytest.approx(0.99)


def test_slowness_fails_on_latency() -> None:
    result = analyse(counts(1000, slow=400), counts(9000), OBJECTIVES)
    assert result.verdict is Verdict.FAIL
    assert result.reason == "latency: latency 60.00% < 95.00% (SLO)"


def test_worse_than_stable_by_more_than_the_margin_fails_within_the_slo() -> None:
    # 0.7% errors meet a 99% SLO, but stable has none: more than half the budget worse.
    result = analyse(counts(1000, errors=7), counts(9000), (AVAILABILITY,))
    assert result.verdict is Verdict.FAIL
    (finding,) = result.findings
    assert finding.against == "stable"
    assert finding.threshold == pytest.approx(0.995)
    assert result.reason.endswith("(stable)")


def test_stable_with_too_few_requests_is_not_compared() -> None:
    result = analyse(counts(1000, errors=7), counts(10), (AVAILABILITY,))
    assert result.verdict is Verdict.PASS
    assert analyse(counts(1000, errors=7), None, (AVAILABILITY,)).verdict is Verdict.PASS


def test_too_few_requests_is_not_enough_data_even_when_all_fail() -> None:
    result = analyse(counts(50, errors=50), counts(9000), OBJECTIVES, min_requests=100)
    assert result.verdict is Verdict.NOT_ENOUGH_DATA
    assert result.reason == "the candidate answered 50 requests, fewer than the 100 needed"


def test_latency_without_a_histogram_is_not_enough_data_unless_something_fails() -> None:
    bare = Counts(requests=500, server_errors=0)
    assert analyse(bare, None, OBJECTIVES).verdict is Verdict.NOT_ENOUGH_DATA
    failing = Counts(requests=500, server_errors=100)
    assert analyse(failing, None, OBJECTIVES).verdict is Verdict.FAIL


def test_a_threshold_between_bounds_counts_only_what_is_surely_within() -> None:
    c = Counts(requests=10, buckets=((0.1, 2), (0.5, 9), (1.0, 10)))
    assert c.within(0.25) == 2
    assert c.within(0.5) == 9
    assert c.within(0.05) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_requests": 0}, "min_requests"),
        ({"stable_margin": -0.1}, "stable_margin"),
    ],
)
def test_bad_parameters_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        analyse(counts(10), None, OBJECTIVES, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="objectives"):
        analyse(counts(10), None, ())


@given(candidate=sample(), stable=st.none() | sample(), minimum=st.integers(1, 10_000))
def test_never_promotes_on_too_few_requests(
    candidate: Counts, stable: Counts | None, minimum: int
) -> None:
    result = analyse(candidate, stable, OBJECTIVES, min_requests=minimum)
    if candidate.requests < minimum:
        assert result.verdict is Verdict.NOT_ENOUGH_DATA
    if result.passed:
        assert candidate.requests >= minimum


def _objectives(kind: str, target: float) -> tuple[Objective, ...]:
    if kind == "availability":
        return (availability(target),)
    return (latency(0.25, target),)


@given(
    candidate=sample(),
    stable=st.none() | sample(),
    target=targets,
    kind=st.sampled_from(["availability", "latency"]),
)
def test_a_candidate_worse_than_the_slo_never_passes(
    candidate: Counts, stable: Counts | None, target: float, kind: str
) -> None:
    objectives = _objectives(kind, target)
    result = analyse(candidate, stable, objectives, min_requests=1)
    if kind == "availability":
        good = candidate.requests - candidate.server_errors
    else:
        good = candidate.within(0.25) or 0
    if candidate.requests and good / candidate.requests < target:
        assert result.verdict is Verdict.FAIL
        assert result.findings[0].against == "slo"


@given(
    same=sample(),
    target=targets,
    kind=st.sampled_from(["availability", "latency"]),
    minimum=st.integers(1, 1_000),
    margin=st.floats(0.0, 2.0),
)
def test_a_candidate_equal_to_stable_and_within_the_slo_passes(
    same: Counts, target: float, kind: str, minimum: int, margin: float
) -> None:
    objectives = _objectives(kind, target)
    result = analyse(same, same, objectives, min_requests=minimum, stable_margin=margin)
    share = sli(objectives[0], same)
    if same.requests >= minimum and share is not None and share >= target:
        assert result.verdict is Verdict.PASS, result.reason
