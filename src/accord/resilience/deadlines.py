"""Deadlines: how much time a call has left, and how that travels between hops.

A :class:`Deadline` is an instant on a monotonic clock. Each hop asks it how much
time remains and clamps its own timeouts to that::

    deadline = Deadline.after(2.0)
    read_timeout = deadline.clamp(5.0)          # at most 2.0, less as time passes

Between processes the remaining time travels in the ``Accord-Timeout`` header, in the
format gRPC specifies for ``grpc-timeout``: at most eight ASCII digits followed by one
unit, ``H`` (hours), ``M`` (minutes), ``S`` (seconds), ``m`` (milliseconds),
``u`` (microseconds) or ``n`` (nanoseconds). ``1500m`` is one and a half seconds.
A relative timeout, not an absolute time, so the hosts' clocks need not agree.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

__all__ = [
    "TIMEOUT_HEADER",
    "Clock",
    "Deadline",
    "current_deadline",
    "encode_timeout",
    "parse_timeout",
]

#: The header that carries the remaining time of a call, lower-cased as HTTP/2 sends it.
TIMEOUT_HEADER = "accord-timeout"

#: A source of monotonic time in seconds; ``time.monotonic`` unless a test injects one.
Clock = Callable[[], float]

_MAX_DIGITS = 8
_LIMIT = 10**_MAX_DIGITS
# Finest first, so encoding picks the most precise unit that fits in eight digits.
_UNITS: tuple[tuple[str, float], ...] = (
    ("n", 1e-9),
    ("u", 1e-6),
    ("m", 1e-3),
    ("S", 1.0),
    ("M", 60.0),
    ("H", 3600.0),
)
_SECONDS_PER_UNIT = dict(_UNITS)
_TIMEOUT = re.compile(r"([0-9]{1,8})([HMSmun])")


def encode_timeout(seconds: float) -> str:
    """Encode a timeout for the ``Accord-Timeout`` header, e.g. ``1.5`` → ``"1500000u"``.

    Picks the finest unit whose value fits in eight digits and rounds up, so the
    receiver never sees less time than was sent (and at most one unit more).
    A timeout of zero or less encodes as ``"0n"``: the deadline has passed.

    Raises ``ValueError`` for a value that is not a finite number, or one longer
    than 99,999,999 hours.
    """
    if not math.isfinite(seconds):
        raise ValueError(f"timeout must be a finite number of seconds, got {seconds!r}")
    if seconds <= 0:
        return "0n"
    for unit, size in _UNITS:
        # Rounding first keeps float noise (1.5 / 1e-6 = 1500000.0000000002) from adding a unit.
        value = math.ceil(round(seconds / size, 6))
        if value < _LIMIT:
            return f"{value}{unit}"
    raise ValueError(f"timeout of {seconds} s is too long for {_MAX_DIGITS} digits of hours")


def parse_timeout(text: str) -> float:
    """Parse an ``Accord-Timeout`` header value into seconds: ``"1500m"`` → ``1.5``.

    Raises ``ValueError`` with the reason when the value is not one to eight ASCII
    digits followed by one of the units ``H M S m u n``.
    """
    match = _TIMEOUT.fullmatch(text)
    if match is None:
        raise ValueError(
            f"invalid timeout {text!r}: expected 1 to {_MAX_DIGITS} digits and a unit "
            "(H, M, S, m, u or n), e.g. '1500m'"
        )
    digits, unit = match.groups()
    return int(digits) * _SECONDS_PER_UNIT[unit]


@dataclass(frozen=True)
class Deadline:
    """The instant a call's time runs out, on a monotonic clock.

    Build one with :meth:`after` or :meth:`from_header`; ``at`` is an instant of
    ``clock``, not of the wall clock.
    """

    at: float
    clock: Clock = field(default=time.monotonic, compare=False, repr=False)

    @classmethod
    def after(cls, seconds: float, *, clock: Clock = time.monotonic) -> Deadline:
        """A deadline ``seconds`` from now (zero or less: already expired)."""
        return cls(clock() + seconds, clock)

    @classmethod
    def from_header(cls, text: str, *, clock: Clock = time.monotonic) -> Deadline:
        """A deadline from an ``Accord-Timeout`` value; ``ValueError`` if it is malformed."""
        return cls.after(parse_timeout(text), clock=clock)

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.at - self.clock())

    @property
    def expired(self) -> bool:
        """Whether no time is left."""
        return self.clock() >= self.at

    def clamp(self, timeout: float | None) -> float:
        """A hop's own timeout cut to what remains; ``None`` (no own timeout) gives the rest."""
        left = self.remaining()
        return left if timeout is None else max(0.0, min(timeout, left))

    def earliest(self, other: Deadline | None) -> Deadline:
        """Whichever of two deadlines comes first (``self`` when ``other`` is ``None``)."""
        return self if other is None or self.at <= other.at else other

    def to_header(self) -> str:
        """The remaining time, encoded for the ``Accord-Timeout`` header."""
        return encode_timeout(self.remaining())


#: The deadline of the request being served, set by the runtime for the handler's
#: duration: every client call made while serving it clamps its own time to this.
current_deadline: ContextVar[Deadline | None] = ContextVar("accord_deadline", default=None)
