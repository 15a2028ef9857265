"""What a chaos run reads from the services' log lines as they are written.

:class:`BreakerOpening` counts the calls a service made to a dependency that went down
before its circuit breaker opened, from the accord client's own log lines
(``client_call_failed``, ``breaker_state_changed``).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["BreakerOpening", "json_line"]


def json_line(line: str) -> dict[str, Any] | None:
    """A structured log line as a dict (None: not one)."""
    if not line.startswith("{"):
        return None
    try:
        data = json.loads(line)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class BreakerOpening:
    """Counts the failed calls from ``caller`` to ``downstream`` until its breaker opens.

    :meth:`arm` when the downstream goes down; from then on every ``caller`` log line
    ``client_call_failed`` for one of its operations counts, until the line
    ``breaker_state_changed`` saying it is ``open``: :attr:`failed_calls` is the count.
    """

    def __init__(self, caller: str, downstream: str) -> None:
        self._caller = caller
        self._downstream = downstream
        self._armed = False
        self._failed = 0
        self.failed_calls: int | None = None

    def arm(self) -> None:
        """Start counting (again)."""
        self._armed, self._failed, self.failed_calls = True, 0, None

    def feed(self, service: str, line: str) -> None:
        """One log line of ``service`` (lines that are not JSON are ignored)."""
        if not self._armed or service != self._caller:
            return
        data = json_line(line)
        if data is None:
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
