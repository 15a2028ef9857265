"""Retry budgets: a token bucket per downstream that stops retries when most calls fail.

The bucket works as gRPC's retry throttling does (gRFC A6): it starts full with
``max_tokens``; every failed attempt takes one token, every success puts back
``token_ratio``; a retry is allowed only while more than half the tokens remain. When a
downstream fails every call, the bucket drains within ``max_tokens / 2`` failures and
from then on each call makes a single attempt, so retries cannot multiply the load on a
service that is already down. Successes refill it at ``token_ratio`` per call.

::

    budget = budgets.get("inventory")
    ...
    budget.record_failure()
    if backoff.allows(attempts) and budget.can_retry():
        ...                                  # retry
"""

from __future__ import annotations

import threading

__all__ = ["RetryBudget", "RetryBudgets"]


class RetryBudget:
    """The retry token bucket of one downstream.

    ``max_tokens``: the bucket's size (gRPC allows ``0 < max_tokens <= 1000``).
    ``token_ratio``: tokens a success puts back (``0 < token_ratio <= 1``); ``0.1``
    means ten successes earn one retry.
    """

    def __init__(self, max_tokens: float = 10.0, token_ratio: float = 0.1) -> None:
        if not 0 < max_tokens <= 1000:
            raise ValueError(f"max_tokens must be in (0, 1000], got {max_tokens!r}")
        if not 0 < token_ratio <= 1:
            raise ValueError(f"token_ratio must be in (0, 1], got {token_ratio!r}")
        self.max_tokens = float(max_tokens)
        self.token_ratio = float(token_ratio)
        self._tokens = self.max_tokens
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"RetryBudget(tokens={self._tokens:g}, max_tokens={self.max_tokens:g}, "
            f"token_ratio={self.token_ratio:g})"
        )

    @property
    def tokens(self) -> float:
        """Tokens in the bucket now."""
        return self._tokens

    def can_retry(self) -> bool:
        """Whether a retry is allowed: more than half the tokens remain."""
        return self._tokens > self.max_tokens / 2

    def record_failure(self) -> None:
        """Take one token for a failed attempt (a retryable failure or a timeout)."""
        with self._lock:
            self._tokens = max(0.0, self._tokens - 1.0)

    def record_success(self) -> None:
        """Put back ``token_ratio`` tokens for an attempt that got an answer."""
        with self._lock:
            self._tokens = min(self.max_tokens, self._tokens + self.token_ratio)


class RetryBudgets:
    """One :class:`RetryBudget` per downstream, made on first use with shared parameters."""

    def __init__(self, max_tokens: float = 10.0, token_ratio: float = 0.1) -> None:
        RetryBudget(max_tokens, token_ratio)  # refuse bad parameters now, not on first use
        self.max_tokens = max_tokens
        self.token_ratio = token_ratio
        self._budgets: dict[str, RetryBudget] = {}
        self._lock = threading.Lock()

    def get(self, downstream: str) -> RetryBudget:
        """The budget of ``downstream`` (a service name), made full the first time."""
        with self._lock:
            budget = self._budgets.get(downstream)
            if budget is None:
                budget = self._budgets[downstream] = RetryBudget(self.max_tokens, self.token_ratio)
            return budget
