"""Circuit breakers: stop calling a downstream that keeps failing, and try it again later.

The state machine and its parameters are Resilience4j's, over a count-based window::

    CLOSED ──(failure or slow-call rate ≥ threshold over ≥ minimum calls)──▶ OPEN
    OPEN ──(wait_duration_in_open_state elapsed; seen on the next acquire)──▶ HALF_OPEN
    HALF_OPEN ──(the permitted trial calls did well)──▶ CLOSED
    HALF_OPEN ──(the trial calls' failure or slow-call rate ≥ threshold)──▶ OPEN

Use it around every call to one downstream::

    permit = breaker.acquire()               # raises BreakerOpen at once when open
    try:
        response = await send(request)
    except TransportError:
        permit.failure()
        raise
    permit.success()

Outcomes of calls admitted before the last state change are dropped, so a slow straggler
from the closed state cannot decide a half-open trial.
"""

from __future__ import annotations

import enum
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from accord.errors import ClientError
from accord.resilience.deadlines import Clock

__all__ = [
    "BreakerConfig",
    "BreakerOpen",
    "BreakerState",
    "CircuitBreaker",
    "Permit",
    "StateChange",
]


class BreakerState(enum.Enum):
    """Where a breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerConfig:
    """A breaker's parameters, named after Resilience4j's (times in seconds, rates in %).

    ``failure_rate_threshold``: trip when this share of the window's calls failed.
    ``slow_call_rate_threshold``: trip when this share of calls took at least
    ``slow_call_duration_threshold`` seconds. ``minimum_number_of_calls``: calls the window
    must hold before rates count (capped at ``sliding_window_size``).
    ``sliding_window_size``: the last N calls the rates are computed over.
    ``wait_duration_in_open_state``: how long an open breaker refuses calls.
    ``permitted_number_of_calls_in_half_open_state``: trial calls let through half-open.
    The defaults are Resilience4j's.
    """

    failure_rate_threshold: float = 50.0
    slow_call_rate_threshold: float = 100.0
    slow_call_duration_threshold: float = 60.0
    minimum_number_of_calls: int = 100
    sliding_window_size: int = 100
    wait_duration_in_open_state: float = 60.0
    permitted_number_of_calls_in_half_open_state: int = 10

    def __post_init__(self) -> None:
        for name in ("failure_rate_threshold", "slow_call_rate_threshold"):
            value = getattr(self, name)
            if not 0 < value <= 100:
                raise ValueError(f"{name} must be in (0, 100], got {value!r}")
        for name in (
            "minimum_number_of_calls",
            "sliding_window_size",
            "permitted_number_of_calls_in_half_open_state",
        ):
            value = getattr(self, name)
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value!r}")
        for name in ("slow_call_duration_threshold", "wait_duration_in_open_state"):
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"{name} must not be negative, got {value!r}")


class BreakerOpen(ClientError):
    """The downstream's breaker is open (or its half-open trials are taken): not called.

    ``retry_after`` is the number of seconds until the breaker lets a trial call through
    (``0.0`` while half-open).
    """

    def __init__(self, downstream: str, retry_after: float) -> None:
        self.downstream = downstream
        self.retry_after = retry_after
        super().__init__(
            f"circuit breaker for {downstream!r} is open; retry in {retry_after:.3f} s"
        )


@dataclass(frozen=True)
class StateChange:
    """A breaker moved from one state to another; given to every listener."""

    downstream: str
    previous: BreakerState
    current: BreakerState


#: Called after each state change, e.g. to set a gauge or write a log line.
Listener = Callable[[StateChange], None]


@dataclass(eq=False)
class Permit:
    """Leave to make one call; report how it went exactly once (later reports are ignored)."""

    breaker: CircuitBreaker
    epoch: int
    started: float
    settled: bool = field(default=False, init=False)

    def success(self) -> None:
        """The call got an answer the downstream is healthy for (2xx, or a declared 4xx)."""
        self._settle(failed=False)

    def failure(self) -> None:
        """The call failed in a way that counts against the downstream (5xx, no response)."""
        self._settle(failed=True)

    def release(self) -> None:
        """The call was not made, or its outcome says nothing about the downstream."""
        if not self.settled:
            self.settled = True
            self.breaker._release(self)

    def _settle(self, *, failed: bool) -> None:
        if not self.settled:
            self.settled = True
            self.breaker._record(self, failed=failed)


class CircuitBreaker:
    """The breaker of one downstream; see the module docstring for the state machine."""

    def __init__(
        self,
        downstream: str,
        config: BreakerConfig | None = None,
        *,
        clock: Clock = time.monotonic,
        listeners: tuple[Listener, ...] = (),
    ) -> None:
        self.downstream = downstream
        self.config = config or BreakerConfig()
        self._clock = clock
        self._listeners = list(listeners)
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._epoch = 0
        self._opened_at = 0.0
        # (failed, slow) of the calls counted in the current state.
        self._window: deque[tuple[bool, bool]] = deque(maxlen=self.config.sliding_window_size)
        # Running counts of the window's failed and slow calls: O(1) per outcome.
        self._failed = 0
        self._slow = 0
        self._trials_admitted = 0

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.downstream!r}, state={self._state.value})"

    def on_state_change(self, listener: Listener) -> None:
        """Call ``listener`` after every state change from now on."""
        self._listeners.append(listener)

    @property
    def state(self) -> BreakerState:
        """The current state; an open breaker whose wait is over reads as half-open."""
        with self._lock:
            change = self._refresh()
        self._notify(change)
        return self._state

    def acquire(self) -> Permit:
        """Leave for one call, or :class:`BreakerOpen` at once when calls are refused."""
        with self._lock:
            change = self._refresh()
            refused: BreakerOpen | None = None
            if self._state is BreakerState.OPEN:
                wait = self._opened_at + self.config.wait_duration_in_open_state - self._clock()
                refused = BreakerOpen(self.downstream, max(0.0, wait))
            elif self._state is BreakerState.HALF_OPEN:
                if (
                    self._trials_admitted
                    >= self.config.permitted_number_of_calls_in_half_open_state
                ):
                    refused = BreakerOpen(self.downstream, 0.0)
                else:
                    self._trials_admitted += 1
            permit = Permit(self, self._epoch, self._clock())
        self._notify(change)
        if refused is not None:
            raise refused
        return permit

    def _refresh(self) -> StateChange | None:
        """Move OPEN to HALF_OPEN once the wait is over (under the lock)."""
        if (
            self._state is BreakerState.OPEN
            and self._clock() - self._opened_at >= self.config.wait_duration_in_open_state
        ):
            return self._move(BreakerState.HALF_OPEN)
        return None

    def _move(self, state: BreakerState) -> StateChange:
        """Enter ``state`` with an empty window (under the lock)."""
        change = StateChange(self.downstream, self._state, state)
        self._state = state
        self._epoch += 1
        self._window.clear()
        self._failed = self._slow = 0
        self._trials_admitted = 0
        if state is BreakerState.OPEN:
            self._opened_at = self._clock()
        return change

    def _record(self, permit: Permit, *, failed: bool) -> None:
        slow = self._clock() - permit.started >= self.config.slow_call_duration_threshold
        with self._lock:
            if permit.epoch != self._epoch:
                return
            window = self._window
            if len(window) == window.maxlen:
                old_failed, old_slow = window[0]
                self._failed -= old_failed
                self._slow -= old_slow
            window.append((failed, slow))
            self._failed += failed
            self._slow += slow
            change = self._evaluate()
        self._notify(change)

    def _release(self, permit: Permit) -> None:
        with self._lock:
            if permit.epoch == self._epoch and self._state is BreakerState.HALF_OPEN:
                self._trials_admitted -= 1

    def _evaluate(self) -> StateChange | None:
        """Trip or close on the window's rates, when it holds enough calls (under the lock)."""
        config = self.config
        calls = len(self._window)
        if self._state is BreakerState.CLOSED:
            needed = min(config.minimum_number_of_calls, config.sliding_window_size)
        else:
            needed = config.permitted_number_of_calls_in_half_open_state
        if calls < needed:
            return None
        failure_rate = 100.0 * self._failed / calls
        slow_rate = 100.0 * self._slow / calls
        unhealthy = (
            failure_rate >= config.failure_rate_threshold
            or slow_rate >= config.slow_call_rate_threshold
        )
        if unhealthy:
            return self._move(BreakerState.OPEN)
        if self._state is BreakerState.HALF_OPEN:
            return self._move(BreakerState.CLOSED)
        return None

    def _notify(self, change: StateChange | None) -> None:
        if change is not None:
            for listener in self._listeners:
                listener(change)
