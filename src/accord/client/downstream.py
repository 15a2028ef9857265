"""Downstreams: what a process knows about each service it calls.

Every typed client of the same base URL in a process shares one :class:`Downstream`:
its circuit breaker, its retry budget, its bulkhead, and the counters behind
:func:`stats`. Sharing is what makes them work — a breaker that each client kept for
itself would let a hundred clients each learn the same outage on their own.

Clients that reach a base URL through a transport of their own (``httpx.ASGITransport``,
``httpx.MockTransport``) share the downstream with the clients of the *same transport*
only, so an in-process test service never inherits another's open breaker.

Within a downstream, clients configured alike share one breaker (one budget, one
bulkhead); a client given different figures gets its own, under the same name.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from accord.resilience.breaker import BreakerConfig, BreakerState, CircuitBreaker, StateChange
from accord.resilience.budget import RetryBudget
from accord.resilience.bulkhead import Bulkhead, BulkheadConfig
from accord.resilience.retry import RetryPolicy

if TYPE_CHECKING:
    from accord.observability.telemetry import Telemetry

__all__ = ["BREAKER_STATES", "Downstream", "DownstreamStats", "Downstreams", "stats"]

#: The value of the ``accord_client_breaker_state`` gauge for each state.
BREAKER_STATES = {BreakerState.CLOSED: 0, BreakerState.OPEN: 1, BreakerState.HALF_OPEN: 2}


@dataclass(frozen=True)
class DownstreamStats:
    """Figures of one downstream since the process started (see :func:`stats`).

    ``calls``: calls made by typed clients (each an original call, whatever its retries).
    ``attempts``: HTTP exchanges sent for them. ``retries``: attempts after the first.
    ``budget_exhausted``: retries the retry budget refused. ``deadline_exceeded``: calls
    refused before sending because their deadline had passed. ``breaker_state``: the
    breaker's state (``"closed"``, ``"open"``, ``"half_open"``; ``"off"`` when no client
    uses one). ``breaker_opened``: times a breaker opened. ``breaker_rejections``: calls
    an open breaker refused. ``shed``: calls the bulkhead refused.
    """

    name: str
    base_url: str
    calls: int
    attempts: int
    retries: int
    budget_exhausted: int
    deadline_exceeded: int
    breaker_state: str
    breaker_opened: int
    breaker_rejections: int
    shed: int

    @property
    def amplification(self) -> float:
        """Attempts per call (``0.0`` before the first call)."""
        return self.attempts / self.calls if self.calls else 0.0


class Downstream:
    """The shared resilience state of one downstream (one base URL)."""

    def __init__(self, name: str, base_url: str) -> None:
        self.name = name
        self.base_url = base_url
        # Plain counters: one increment each on the hot path.
        self.calls = 0
        self.attempts = 0
        self.retries = 0
        self.budget_exhausted = 0
        self.deadline_exceeded = 0
        self.breaker_opened = 0
        self.breaker_rejections = 0
        self.shed = 0
        self._lock = threading.Lock()
        self._breakers: dict[BreakerConfig, CircuitBreaker] = {}
        self._budgets: dict[tuple[float, float], RetryBudget] = {}
        self._bulkheads: dict[BulkheadConfig, Bulkhead] = {}
        self._observers: dict[int, weakref.ref[Telemetry]] = {}

    def __repr__(self) -> str:
        return f"<Downstream {self.name} {self.base_url}>"

    def breaker(self, config: BreakerConfig) -> CircuitBreaker:
        """The breaker shared by the clients that use ``config``."""
        with self._lock:
            breaker = self._breakers.get(config)
            if breaker is None:
                breaker = CircuitBreaker(self.name, config, listeners=(self._on_change,))
                self._breakers[config] = breaker
            return breaker

    def budget(self, policy: RetryPolicy) -> RetryBudget:
        """The retry budget shared by the clients whose policy has the same bucket figures."""
        key = (policy.max_tokens, policy.token_ratio)
        with self._lock:
            budget = self._budgets.get(key)
            if budget is None:
                budget = self._budgets[key] = RetryBudget(*key)
            return budget

    def bulkhead(self, config: BulkheadConfig) -> Bulkhead:
        """The bulkhead shared by the clients that use ``config``."""
        with self._lock:
            bulkhead = self._bulkheads.get(config)
            if bulkhead is None:
                bulkhead = self._bulkheads[config] = Bulkhead(self.name, config)
            return bulkhead

    def observe(self, telemetry: Telemetry) -> None:
        """Report breaker state changes to ``telemetry`` (a gauge, a counter, a log line)."""
        with self._lock:
            for key in [k for k, ref in self._observers.items() if ref() is None]:
                del self._observers[key]
            self._observers[id(telemetry)] = weakref.ref(telemetry)
            breakers = list(self._breakers.values())
        state = _worst(breakers)
        telemetry.metrics.set_client_breaker_state(
            self.name, BREAKER_STATES[state] if state is not None else 0
        )

    def _on_change(self, change: StateChange) -> None:
        if change.current is BreakerState.OPEN:
            self.breaker_opened += 1
        with self._lock:
            observers = [ref() for ref in self._observers.values()]
        for telemetry in observers:
            if telemetry is None:
                continue
            metrics = telemetry.metrics
            metrics.set_client_breaker_state(self.name, BREAKER_STATES[change.current])
            if change.current is BreakerState.OPEN:
                metrics.count_client_breaker_opened(self.name)
            log = (
                telemetry.logger.warning
                if change.current is BreakerState.OPEN
                else telemetry.logger.info
            )
            log(
                "breaker_state_changed",
                downstream=self.name,
                base_url=self.base_url,
                previous=change.previous.value,
                current=change.current.value,
            )

    def stats(self) -> DownstreamStats:
        """The figures of this downstream now."""
        with self._lock:
            breakers = list(self._breakers.values())
        state = _worst(breakers)
        return DownstreamStats(
            name=self.name,
            base_url=self.base_url,
            calls=self.calls,
            attempts=self.attempts,
            retries=self.retries,
            budget_exhausted=self.budget_exhausted,
            deadline_exceeded=self.deadline_exceeded,
            breaker_state="off" if state is None else state.value,
            breaker_opened=self.breaker_opened,
            breaker_rejections=self.breaker_rejections,
            shed=self.shed,
        )


def _worst(breakers: list[CircuitBreaker]) -> BreakerState | None:
    """Open if any breaker is, else half-open if any is, else closed (``None``: no breaker)."""
    states = {b.state for b in breakers}
    for state in (BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED):
        if state in states:
            return state
    return None


class Downstreams:
    """The downstreams of a process, one per base URL (and per injected transport)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shared: dict[str, Downstream] = {}
        self._by_transport: weakref.WeakKeyDictionary[Any, dict[str, Downstream]] = (
            weakref.WeakKeyDictionary()
        )
        self._kept: dict[int, tuple[Any, dict[str, Downstream]]] = {}

    def get(self, name: str, base_url: str, transport: Any = None) -> Downstream:
        """The downstream at ``base_url`` (reached through ``transport``), made on first use."""
        with self._lock:
            table = self._shared if transport is None else self._table(transport)
            downstream = table.get(base_url)
            if downstream is None:
                downstream = table[base_url] = Downstream(name, base_url)
            return downstream

    def _table(self, transport: Any) -> dict[str, Downstream]:
        try:
            table = self._by_transport.get(transport)
            if table is None:
                table = self._by_transport[transport] = {}
        except TypeError:  # a transport that cannot be weakly referenced: kept for good
            kept = self._kept.get(id(transport))
            if kept is None:
                kept = self._kept[id(transport)] = (transport, {})
            table = kept[1]
        return table

    def all(self) -> list[Downstream]:
        """Every downstream known now."""
        with self._lock:
            found = list(self._shared.values())
            for table in list(self._by_transport.values()):
                found.extend(table.values())
            for _, table in self._kept.values():
                found.extend(table.values())
        return found

    def stats(self) -> list[DownstreamStats]:
        """The figures of every downstream, in the order they were first called."""
        return [downstream.stats() for downstream in self.all()]


#: The downstreams of this process, shared by every typed client.
DOWNSTREAMS = Downstreams()


def stats() -> list[DownstreamStats]:
    """Figures of every downstream the typed clients of this process have called.

    Calls, attempts (so retry amplification), retries, refusals by the retry budget, the
    breaker's state and how often it opened, calls refused by an open breaker or a full
    bulkhead. The same figures are exported as Prometheus metrics (``accord_client_*``).
    """
    return DOWNSTREAMS.stats()
