"""What the shop's chaos scenario reads from orders' log lines as they are written.

:class:`BreakerRejections` times the placements orders
refused because a dependency's circuit breaker was open: the orders log line
``order placement failed: … circuit breaker for '<dependency>' is open`` and the request
line of the same trace, whose ``duration_ms`` is orders' whole handling of the placement
(storing the order, the refused call, storing it rejected).
"""

from __future__ import annotations

from accord.chaos.logs import json_line

__all__ = ["BreakerRejections"]

_MARK = "circuit breaker for '"


class BreakerRejections:
    """Durations of ``POST /v1/orders`` answered at once because a breaker was open."""

    def __init__(self, dependency: str = "inventory") -> None:
        self._mark = f"{_MARK}{dependency}' is open"
        self._refused: set[str] = set()
        self._durations: dict[str, float] = {}

    def feed(self, service: str, line: str) -> None:
        """One log line of ``service`` (lines that are not JSON are ignored)."""
        data = json_line(line) if service == "orders" else None
        if data is None:
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
