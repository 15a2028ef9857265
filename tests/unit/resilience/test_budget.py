"""Retry budgets: gRPC-style token buckets keep retry amplification bounded."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.resilience.backoff import Backoff
from accord.resilience.budget import RetryBudget, RetryBudgets


def place_calls(
    budget: RetryBudget,
    backoff: Backoff,
    calls: int,
    fails: random.Random | None,
    failure_rate: float = 1.0,
) -> int:
    """Make ``calls`` original calls with retries; return the number of attempts made."""
    attempts = 0
    for _ in range(calls):
        made = 0
        while True:
            made += 1
            failed = fails is None or fails.random() < failure_rate
            if not failed:
                budget.record_success()
                break
            budget.record_failure()
            if not (backoff.allows(made) and budget.can_retry()):
                break
        attempts += made
    return attempts


def test_failures_take_a_token_and_successes_put_back_the_ratio() -> None:
    budget = RetryBudget(max_tokens=4, token_ratio=0.5)
    assert budget.tokens == 4.0 and budget.can_retry()
    budget.record_failure()
    assert budget.tokens == 3.0 and budget.can_retry()
    budget.record_failure()
    assert budget.tokens == 2.0 and not budget.can_retry()  # not more than half
    budget.record_success()
    assert budget.tokens == 2.5 and budget.can_retry()
    for _ in range(10):
        budget.record_success()
    assert budget.tokens == 4.0
    for _ in range(10):
        budget.record_failure()
    assert budget.tokens == 0.0


def test_a_downstream_failing_every_call_sees_at_most_1_2_attempts_per_call() -> None:
    budget = RetryBudget(max_tokens=10, token_ratio=0.1)
    calls = 1000
    attempts = place_calls(budget, Backoff(max_attempts=5), calls, fails=None)
    assert attempts / calls <= 1.2
    # Exactly: 10 -> 9, 8, 7, 6 allow a retry each; at 5 (not more than half) they stop.
    assert attempts == calls + 4


def test_after_recovery_successes_earn_retries_back() -> None:
    budget = RetryBudget(max_tokens=10, token_ratio=0.1)
    place_calls(budget, Backoff(max_attempts=5), 100, fails=None)
    assert not budget.can_retry()
    for _ in range(50):
        budget.record_success()
    assert budget.tokens == pytest.approx(5.0)
    assert not budget.can_retry()
    budget.record_success()
    assert budget.can_retry()


@pytest.mark.parametrize(("max_tokens", "ratio"), [(0, 0.1), (1001, 0.1), (10, 0), (10, 1.5)])
def test_bad_parameters_are_refused(max_tokens: float, ratio: float) -> None:
    with pytest.raises(ValueError, match="must be in"):
        RetryBudget(max_tokens, ratio)
    with pytest.raises(ValueError, match="must be in"):
        RetryBudgets(max_tokens, ratio)


def test_each_downstream_has_its_own_budget() -> None:
    budgets = RetryBudgets(max_tokens=2, token_ratio=1)
    inventory = budgets.get("inventory")
    assert budgets.get("inventory") is inventory
    inventory.record_failure()
    inventory.record_failure()
    assert not inventory.can_retry()
    assert budgets.get("payments").can_retry()
    assert budgets.get("payments").max_tokens == 2


@given(
    max_tokens=st.integers(min_value=1, max_value=1000),
    ratio=st.floats(min_value=0.001, max_value=1),
    max_attempts=st.integers(min_value=1, max_value=10),
    calls=st.integers(min_value=1, max_value=2000),
)
def test_total_failure_allows_at_most_half_the_bucket_in_retries(
    max_tokens: int, ratio: float, max_attempts: int, calls: int
) -> None:
    budget = RetryBudget(max_tokens, ratio)
    attempts = place_calls(budget, Backoff(max_attempts=max_attempts), calls, fails=None)
    assert attempts - calls <= math.ceil(max_tokens / 2)


@given(
    ratio=st.floats(min_value=0.001, max_value=0.1),
    failure_rate=st.floats(min_value=0.9, max_value=1.0),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_under_heavy_failure_amplification_stays_under_1_2(
    ratio: float, failure_rate: float, seed: int
) -> None:
    calls = 2000
    budget = RetryBudget(10, ratio)
    attempts = place_calls(
        budget, Backoff(max_attempts=3), calls, random.Random(seed), failure_rate
    )
    assert attempts / calls <= 1.2
