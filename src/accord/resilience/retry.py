"""Retry policy: how many attempts, how long between them, and which failures deserve one.

A :class:`RetryPolicy` is a value; the typed client applies it (see ``docs/clients.md``).
Whether a call may be sent again at all depends on the operation, not on the policy:
``read_only`` and ``idempotent`` operations may, ``requires_key`` operations may when they
carry an ``Idempotency-Key`` (the typed client always gives them one). Which *failures*
are worth another attempt is decided here, from what the client saw:

==========================================  =========================================
failure                                     retried
==========================================  =========================================
connection refused (request never sent)     always, whatever the operation
connection lost after the request was sent  only when the call is safe to repeat
``429``, ``503``                            only when the call is safe to repeat
a declared error with ``retryable=True``    only when the call is safe to repeat
a code in ``RetryPolicy.codes``             only when the call is safe to repeat
the deadline passed, anything else          never
==========================================  =========================================

Retry-After larger than ``max_retry_after`` ends the retries: waiting that long is the
caller's decision, not the client's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accord.resilience.backoff import Backoff

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy"]

#: Statuses a safe call is retried on whatever their problem code: the server asked for it.
RETRYABLE_STATUSES = frozenset({429, 503})


def _default_backoff() -> Backoff:
    return Backoff(base=0.05, cap=1.0, max_attempts=3)


@dataclass(frozen=True)
class RetryPolicy:
    """How a typed client retries the calls that are safe to send again.

    ``backoff``: attempts in all (``max_attempts``, the first included) and the full-jitter
    delays between them. ``codes``: problem codes retried besides the ones the contract
    declares ``retryable`` and the statuses 429 and 503. ``max_retry_after``: the longest
    ``Retry-After`` the client waits for (seconds); a longer one ends the retries.
    ``max_tokens`` / ``token_ratio``: the retry budget of each downstream
    (:class:`~accord.resilience.RetryBudget`), shared by every client of that downstream
    in the process that uses the same figures.
    """

    backoff: Backoff = field(default_factory=_default_backoff)
    codes: frozenset[str] = frozenset()
    max_retry_after: float = 10.0
    max_tokens: float = 10.0
    token_ratio: float = 0.1

    def __post_init__(self) -> None:
        if not self.max_retry_after >= 0:
            raise ValueError(f"max_retry_after must not be negative, got {self.max_retry_after!r}")
        if not 0 < self.max_tokens <= 1000:
            raise ValueError(f"max_tokens must be in (0, 1000], got {self.max_tokens!r}")
        if not 0 < self.token_ratio <= 1:
            raise ValueError(f"token_ratio must be in (0, 1], got {self.token_ratio!r}")
        object.__setattr__(self, "codes", frozenset(self.codes))

    @property
    def max_attempts(self) -> int:
        """Attempts in all, the first one included."""
        return self.backoff.max_attempts

    def retries_answer(self, status: int, code: str, *, declared_retryable: bool) -> bool:
        """Whether an error answer is worth another attempt of a call that is safe to repeat."""
        return declared_retryable or status in RETRYABLE_STATUSES or code in self.codes
