"""The resilience a typed client has unless it is told otherwise.

``Contract.client(url, retry=..., breaker=..., bulkhead=...)`` replaces one of these;
``None`` turns it off. The figures, and why, are in ``docs/clients.md``.
"""

from __future__ import annotations

from accord.resilience.breaker import BreakerConfig
from accord.resilience.bulkhead import BulkheadConfig
from accord.resilience.retry import RetryPolicy

__all__ = ["DEFAULT_BREAKER", "DEFAULT_BULKHEAD", "DEFAULT_RETRY"]

#: Retries of a typed client unless it says otherwise: three attempts in all, full-jitter
#: backoff from 50 ms to 1 s, a budget of 10 tokens per downstream refilled at 0.1 a success.
DEFAULT_RETRY = RetryPolicy()

#: The breaker of a downstream unless the client says otherwise: Resilience4j's thresholds
#: over a shorter window and wait, so an outage is noticed within ten calls and a recovery
#: within seconds.
DEFAULT_BREAKER = BreakerConfig(
    failure_rate_threshold=50.0,
    slow_call_rate_threshold=100.0,
    slow_call_duration_threshold=5.0,
    minimum_number_of_calls=10,
    sliding_window_size=20,
    wait_duration_in_open_state=2.0,
    permitted_number_of_calls_in_half_open_state=3,
)

#: The bulkhead of a downstream: 64 calls in flight, 50 ms to wait for a slot.
DEFAULT_BULKHEAD = BulkheadConfig(max_concurrent_calls=64, max_wait_duration=0.05)
