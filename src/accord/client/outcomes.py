"""What one attempt's failure means: for the breaker, the retry budget and the retry policy.

=================================  ==============  ==============  ==========================
the attempt                        breaker         retry budget    retried (call safe / not)
=================================  ==============  ==============  ==========================
connection refused                 failure         failure         yes / yes (never sent)
connection lost, protocol error    failure         failure         yes / no
no answer in time (``Timeout``)    failure         failure         no: the deadline is spent
500, 502, 503, 504                 failure         failure         503 (or retryable) / no
429                                success         failure         yes / no
other 4xx, a declared error        success         success         when declared retryable
a 2xx that breaks the contract     success         success         no
=================================  ==============  ==============  ==========================
"""

from __future__ import annotations

from typing import Any

import httpx

from accord.errors import RemoteError, ServiceError, Timeout, TransportError, UnexpectedResponse
from accord.resilience.backoff import parse_retry_after
from accord.resilience.retry import RetryPolicy

__all__ = [
    "BREAKER_FAILURE_STATUSES",
    "counts_against_breaker",
    "counts_against_budget",
    "remember_retry_after",
    "retry_after_of",
    "retry_reason",
]

#: Answers that say the downstream is unwell (the rest of 4xx and 5xx say the call was).
BREAKER_FAILURE_STATUSES = frozenset({500, 502, 503, 504})

_RETRY_AFTER = "_accord_retry_after"


def _status(exc: BaseException) -> int:
    """The status of the answer behind ``exc`` (``0``: no answer)."""
    if isinstance(exc, ServiceError | RemoteError):
        return exc.status
    if isinstance(exc, UnexpectedResponse):
        return exc.status or 0
    return 0


def counts_against_breaker(exc: BaseException) -> bool:
    """Whether the failure counts as one for the downstream's circuit breaker."""
    return isinstance(exc, TransportError) or _status(exc) in BREAKER_FAILURE_STATUSES


def counts_against_budget(exc: BaseException) -> bool:
    """Whether the failure takes a token from the downstream's retry budget."""
    return counts_against_breaker(exc) or _status(exc) == 429


def retry_reason(exc: BaseException, policy: RetryPolicy, *, safe: bool) -> str | None:
    """Why the attempt that raised ``exc`` deserves another one, or ``None``.

    ``safe``: the call may be repeated (read-only, idempotent, or carrying a key). A
    connection that was never made is retried whatever the call; everything else only
    when it is safe.
    """
    if isinstance(exc, Timeout):
        return None
    if isinstance(exc, TransportError):
        if isinstance(exc.__cause__, httpx.ConnectError):
            return "connect"
        return "transport" if safe else None
    if not safe:
        return None
    if isinstance(exc, ServiceError):
        declared = exc.retryable
    elif isinstance(exc, RemoteError):
        declared = False
    else:
        return None
    if policy.retries_answer(exc.status, exc.code, declared_retryable=declared):
        return exc.code
    return None


def remember_retry_after(exc: BaseException, response: httpx.Response) -> None:
    """Keep the answer's ``Retry-After`` (in seconds) with the error it was read into."""
    value = response.headers.get("retry-after")
    if value is not None:
        setattr(exc, _RETRY_AFTER, parse_retry_after(value))


def retry_after_of(exc: BaseException) -> float | None:
    """The ``Retry-After`` of the answer ``exc`` was read from, in seconds, if it had one."""
    value: Any = getattr(exc, _RETRY_AFTER, None)
    return value if isinstance(value, float) else None
