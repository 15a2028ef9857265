"""What a chaos run reads from the services' log lines as they are written.

:class:`BreakerOpening` counts the calls orders made to a dependency that went down
before its breaker opened. :class:`BreakerRejections` times the placements orders
refused because a dependency's circuit breaker was open: the orders log line
``order placement failed: … circuit breaker for '<dependency>' is open`` and the request
line of the same trace, whose ``duration_ms`` is orders' whole handling of the placement
(storing the order, the refused call, storing it rejected).
"""

from __future__ import annotations

import json

__all__ = ["BreakerOpening", "BreakerRejections"]

_MARK = "circuit breaker for '"


class BreakerRejections:
    """Durations of ``POST /v1/orders`` answered at once because a breaker was open."""

    def __init__(self, dependency: str = "inventory") -> None:
        self._mark = f"{_MARK}{dependency}' is open"
        self._refused: set[str] = set()
        self._durations: dict[str, float] = {}

    def feed(self, service: str, line: str) -> None:
        """One log line of ``service`` (lines that are not JSON are ignored)."""
        if service != "orders" or not line.startswith("{"):
            return
        try:
            data = json.loads(line)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        trace = str(data.get("trace_id", ""))
        event = str(data.get("event", ""))
        if event.startswith("order placement failed") and self._mark in event:
            self._refused.add(trace)
        elif (
            event == "request"
            and data.get("method") == "POST"
            and data.get("route") == "/v1/orders"
            and data.get("status") == 503
        ):
            try:
                self._durations[trace] = float(data["duration_ms"])
            except (KeyError, TypeError, ValueError):
                return

    def durations(self) -> list[float]:
        """The handling times (ms) of the refused placements seen so far."""
        return [ms for trace, ms in self._durations.items() if trace in self._refused]


class BreakerOpening:
    """Counts the failed calls from orders to ``downstream`` until its breaker opens.

    :meth:`arm` when the downstream goes down; from then on every orders log line
    ``client_call_failed`` for one of its operations counts, until the line
    ``breaker_state_changed`` saying it is ``open``: :attr:`failed_calls` is the count.
    """

    def __init__(self, downstream: str = "payments") -> None:
        self._downstream = downstream
        self._armed = False
        self._failed = 0
        self.failed_calls: int | None = None

    def arm(self) -> None:
        """Start counting (again)."""
        self._armed, self._failed, self.failed_calls = True, 0, None

    def feed(self, service: str, line: str) -> None:
        """One log line of ``service`` (lines that are not JSON are ignored)."""
        if not self._armed or service != "orders" or not line.startswith("{"):
            return
        try:
            data = json.loads(line)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        event = data.get("event")
        if event == "client_call_failed":
            if str(data.get("operation", "")).startswith(f"{self._downstream}."):
                self._failed += 1
        elif (
            event == "breaker_state_changed"
            and data.get("downstream") == self._downstream
            and data.get("current") == "open"
        ):
            self.failed_calls = self._failed
            self._armed = False
