"""The public surface of accord.resilience is exactly this, and every piece is documented."""

from __future__ import annotations

import inspect

import accord.resilience as resilience

PUBLIC = [
    "RETRYABLE_STATUSES",
    "TIMEOUT_HEADER",
    "Backoff",
    "BreakerConfig",
    "BreakerOpen",
    "BreakerState",
    "Bulkhead",
    "BulkheadConfig",
    "BulkheadFull",
    "CircuitBreaker",
    "Clock",
    "Deadline",
    "Jitter",
    "Permit",
    "RetryBudget",
    "RetryBudgets",
    "RetryPolicy",
    "StateChange",
    "current_deadline",
    "encode_timeout",
    "parse_retry_after",
    "parse_timeout",
]


def test_the_public_api_is_exactly_this() -> None:
    assert sorted(resilience.__all__) == sorted(PUBLIC)


def test_every_public_class_and_function_has_a_docstring() -> None:
    for name in resilience.__all__:
        obj = getattr(resilience, name)
        if isinstance(obj, type) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_the_timeout_header_is_named_once() -> None:
    assert resilience.TIMEOUT_HEADER == "accord-timeout"
