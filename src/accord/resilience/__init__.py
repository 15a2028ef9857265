"""Resilience mechanisms: deadlines, backoff, retry policy and budgets, circuit breakers
and bulkheads.

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
from accord.resilience.bulkhead import Bulkhead, BulkheadConfig, BulkheadFull
from accord.resilience.deadlines import (
    TIMEOUT_HEADER,
    Clock,
    Deadline,
    current_deadline,
    encode_timeout,
    parse_timeout,
)
from accord.resilience.retry import RETRYABLE_STATUSES, RetryPolicy

__all__ = [
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
