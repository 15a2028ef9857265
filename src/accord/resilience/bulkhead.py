"""Bulkheads: a bound on the calls in flight to one downstream.

A slow downstream must not take every task of its caller with it. A :class:`Bulkhead`
admits at most ``max_concurrent_calls`` calls at a time; a call over the limit waits at
most ``max_wait_duration`` seconds for a slot (first come, first served) and is then
refused with :class:`BulkheadFull` — it never queues without bound. The parameters are
named after Resilience4j's semaphore bulkhead.

::

    await bulkhead.acquire()        # BulkheadFull when no slot frees up in time
    try:
        ...                         # the call
    finally:
        bulkhead.release()

A bulkhead belongs to the event loop its calls run on (a service process has one).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import anyio

from accord.errors import ClientError

__all__ = ["Bulkhead", "BulkheadConfig", "BulkheadFull"]


@dataclass(frozen=True)
class BulkheadConfig:
    """``max_concurrent_calls`` in flight at once; ``max_wait_duration`` seconds to wait for one."""

    max_concurrent_calls: int = 64
    max_wait_duration: float = 0.05

    def __post_init__(self) -> None:
        if self.max_concurrent_calls < 1:
            raise ValueError(
                f"max_concurrent_calls must be at least 1, got {self.max_concurrent_calls!r}"
            )
        if not self.max_wait_duration >= 0:
            raise ValueError(
                f"max_wait_duration must not be negative, got {self.max_wait_duration!r}"
            )


class BulkheadFull(ClientError):
    """Too many calls to the downstream are in flight: this one was not sent.

    ``downstream`` names it; ``max_concurrent_calls`` is the limit that was reached.
    """

    def __init__(self, downstream: str, max_concurrent_calls: int) -> None:
        self.downstream = downstream
        self.max_concurrent_calls = max_concurrent_calls
        super().__init__(
            f"{max_concurrent_calls} calls to {downstream!r} already in flight; not sent"
        )


class Bulkhead:
    """The concurrency limit of one downstream; see the module docstring."""

    def __init__(self, downstream: str, config: BulkheadConfig | None = None) -> None:
        self.downstream = downstream
        self.config = config or BulkheadConfig()
        self._limit = self.config.max_concurrent_calls
        self._in_flight = 0
        # A freed slot is handed straight to the first waiter: no newcomer can overtake it.
        self._waiters: deque[anyio.Event] = deque()

    def __repr__(self) -> str:
        return (
            f"Bulkhead({self.downstream!r}, in_flight={self._in_flight}, "
            f"limit={self._limit}, waiting={len(self._waiters)})"
        )

    @property
    def in_flight(self) -> int:
        """Calls holding a slot now."""
        return self._in_flight

    async def acquire(self, max_wait: float | None = None) -> None:
        """Take a slot, waiting at most ``max_wait`` (default: the config's) seconds for one.

        Raises :class:`BulkheadFull` when none frees up in time.
        """
        if self._in_flight < self._limit and not self._waiters:
            self._in_flight += 1
            return
        wait = self.config.max_wait_duration if max_wait is None else max_wait
        if wait <= 0:
            raise BulkheadFull(self.downstream, self._limit)
        granted = anyio.Event()
        self._waiters.append(granted)
        try:
            with anyio.move_on_after(wait):
                await granted.wait()
        except BaseException:
            self._give_up(granted)
            raise
        if not granted.is_set():
            self._give_up(granted)
            raise BulkheadFull(self.downstream, self._limit)

    def release(self) -> None:
        """Give a slot back (to the first waiter, if any)."""
        if self._waiters:
            self._waiters.popleft().set()
        else:
            self._in_flight -= 1

    def _give_up(self, granted: anyio.Event) -> None:
        """A waiter leaves: out of the queue, or passing on a slot it was handed."""
        if granted.is_set():
            self.release()
        else:
            self._waiters.remove(granted)
