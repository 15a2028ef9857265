"""Resilience mechanisms: deadlines, backoff, retry budgets and circuit breakers.

Pure, clock-injectable pieces with no I/O; the client and the runtime compose them.
"""

from __future__ import annotations

from accord.resilience.backoff import Backoff, Jitter, parse_retry_after
from accord.resilience.breaker import (
    BreakerConfig,
    BreakerOpen,
    BreakerState,
    CircuitBreaker,
    Permit,
    StateChange,
)
from accord.resilience.budget import RetryBudget, RetryBudgets
from accord.resilience.deadlines import (
    TIMEOUT_HEADER,
    Clock,
    Deadline,
    current_deadline,
    encode_timeout,
    parse_timeout,
)

__all__ = [
    "TIMEOUT_HEADER",
    "Backoff",
    "BreakerConfig",
    "BreakerOpen",
    "BreakerState",
    "CircuitBreaker",
    "Clock",
    "Deadline",
    "Jitter",
    "Permit",
    "RetryBudget",
    "RetryBudgets",
    "StateChange",
    "current_deadline",
    "encode_timeout",
    "parse_retry_after",
    "parse_timeout",
]
