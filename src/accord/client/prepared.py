"""One call, prepared once and sent as often as the retry policy decides."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accord.resilience.deadlines import Clock, Deadline

__all__ = ["Prepared", "call_deadline"]


def call_deadline(
    bound: float | None, ambient: Deadline | None, *, clock: Clock = time.monotonic
) -> tuple[Deadline | None, float | None]:
    """A call's deadline and the time it is given: ``bound`` seconds from now, or the
    ``ambient`` deadline (the served request's) when that comes first; ``None`` for none.
    """
    if ambient is not None and (bound is None or ambient.at < clock() + bound):
        return ambient, ambient.remaining()
    if bound is None:
        return None, None
    return Deadline.after(bound, clock=clock), bound


@dataclass(frozen=True, slots=True)
class Prepared:
    """One call, ready to send.

    ``deadline``: when the call's time runs out (``None``: never); ``limit``: the time
    the call was given, for messages; ``inherited``: the deadline is the served
    request's; ``safe``: whether it may be sent again.
    """

    path: str
    query: dict[str, Any]
    body: bytes | None
    deadline: Deadline | None
    limit: float | None
    inherited: bool
    correlation: str
    idempotency_key: str | None
    headers: Mapping[str, str] | None
    safe: bool
