"""Retry policy: its figures are checked, and it says which answers deserve another attempt."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.resilience import RETRYABLE_STATUSES, Backoff, RetryPolicy


def test_the_defaults() -> None:
    policy = RetryPolicy()
    assert policy.max_attempts == 3
    assert policy.backoff == Backoff(base=0.05, cap=1.0, max_attempts=3)
    assert policy.codes == frozenset()
    assert (policy.max_retry_after, policy.max_tokens, policy.token_ratio) == (10.0, 10.0, 0.1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_retry_after": -1.0}, "max_retry_after must not be negative"),
        ({"max_tokens": 0.0}, r"max_tokens must be in \(0, 1000\]"),
        ({"max_tokens": 1001.0}, r"max_tokens must be in \(0, 1000\]"),
        ({"token_ratio": 0.0}, r"token_ratio must be in \(0, 1\]"),
        ({"token_ratio": 1.5}, r"token_ratio must be in \(0, 1\]"),
    ],
)
def test_bad_figures_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_codes_become_a_frozenset_and_the_policy_is_hashable() -> None:
    policy = RetryPolicy(codes={"inventory.busy"})  # type: ignore[arg-type]
    assert policy.codes == frozenset({"inventory.busy"})
    assert hash(policy) == hash(RetryPolicy(codes=frozenset({"inventory.busy"})))


@given(
    status=st.integers(min_value=400, max_value=599),
    code=st.sampled_from(["unavailable", "rate_limited", "internal", "shop.busy", "x"]),
    declared=st.booleans(),
    extra=st.frozensets(st.sampled_from(["shop.busy", "internal"])),
)
def test_an_answer_is_retried_exactly_when_declared_429_503_or_listed(
    status: int, code: str, declared: bool, extra: frozenset[str]
) -> None:
    policy = RetryPolicy(codes=extra)
    expected = declared or status in RETRYABLE_STATUSES or code in extra
    assert policy.retries_answer(status, code, declared_retryable=declared) is expected
