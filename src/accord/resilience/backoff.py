"""Backoff between retries: exponential, with full jitter, capped, and ``Retry-After`` honoured.

The delay before retry number ``n`` (``0`` for the first retry) is drawn uniformly from
``[0, min(cap, base * 2**n)]`` — the "full jitter" of the AWS Architecture Blog's
*Exponential Backoff and Jitter*: spreading retries over the whole window keeps a crowd
of clients that failed together from retrying together. A server's ``Retry-After`` is a
floor: the delay is never shorter than what the server asked for.

::

    backoff = Backoff(base=0.1, cap=5.0, max_attempts=3)
    attempt = 1
    while True:
        try:
            return await call()
        except Unavailable as exc:
            if not backoff.allows(attempt):
                raise
            await anyio.sleep(backoff.delay(attempt - 1, retry_after=exc_retry_after))
            attempt += 1
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

__all__ = ["Backoff", "Jitter", "parse_retry_after"]

#: Draws a number uniformly from ``[low, high]``; ``random.uniform`` unless a test injects one.
Jitter = Callable[[float, float], float]

# 2.0 ** 1024 overflows; any exponent past this already exceeds every sane cap.
_MAX_EXPONENT = 1000


@dataclass(frozen=True)
class Backoff:
    """How long to wait before each retry, and how many attempts to make in all.

    ``base``: the first retry's window, in seconds. ``cap``: the largest window.
    ``max_attempts``: attempts in all, the original call included (``1``: never retry).
    ``jitter``: the random source, injectable for tests.
    """

    base: float = 0.1
    cap: float = 5.0
    max_attempts: int = 3
    jitter: Jitter = field(default=random.uniform, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.base > 0:
            raise ValueError(f"base must be positive, got {self.base!r}")
        if not self.cap >= self.base:
            raise ValueError(f"cap ({self.cap!r}) must be at least base ({self.base!r})")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts!r}")

    def allows(self, attempts_made: int) -> bool:
        """Whether another attempt may follow ``attempts_made`` attempts."""
        return attempts_made < self.max_attempts

    def window(self, retry: int) -> float:
        """The upper bound of the delay before retry number ``retry`` (``0``: the first)."""
        if retry < 0:
            raise ValueError(f"retry must be 0 or more, got {retry!r}")
        return min(self.cap, self.base * 2.0 ** min(retry, _MAX_EXPONENT))

    def delay(self, retry: int, *, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry``: full jitter, at least ``retry_after``.

        ``retry_after`` is honoured even when it exceeds ``cap``: the server knows best
        when it will be back; the caller's deadline decides whether waiting is worth it.
        """
        drawn = self.jitter(0.0, self.window(retry))
        return max(drawn, retry_after or 0.0)


def parse_retry_after(value: str, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (RFC 9110 §10.2.3), or ``None``.

    The value is either a number of seconds (``"120"``) or an HTTP-date
    (``"Fri, 27 Nov 2026 09:00:00 GMT"``), read against the wall clock ``now``.
    A date in the past gives ``0.0``. A malformed value gives ``None``, so a client
    falls back to its own backoff rather than failing on a header it cannot read.
    """
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now())
