"""What a scenario sees of a run in progress: :class:`Run`."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from accord.chaos import metrics
from accord.chaos.config import ChaosConfig, Progress

__all__ = ["FaultChange", "Run"]


@dataclass(frozen=True)
class FaultChange:
    """Faults changed on a running service by editing its file: its process before and
    after (the same one), and the seconds until the service applied them."""

    service: str
    on: bool
    pid_before: int
    pid_after: int
    seconds: float


@dataclass
class Run:
    """A run in progress: its configuration, the services' URLs, what it has seen.

    ``http`` is the engine's client (the headers :meth:`Scenario.prepare` returned);
    ``kills`` counts the ``kill -9`` of each service, ``back`` holds when each was last
    ready again after one (monotonic seconds); ``latencies`` holds the workload's
    ``(start, ms)`` samples.
    """

    config: ChaosConfig
    home: Path
    urls: Mapping[str, str]
    http: httpx.AsyncClient
    say: Progress
    events: list[str] = field(default_factory=list)
    latencies: list[tuple[float, float]] = field(default_factory=list)
    kills: Counter[str] = field(default_factory=Counter)
    back: dict[str, float] = field(default_factory=dict)
    carried: dict[str, Counter[str]] = field(default_factory=dict)
    fault_changes: list[FaultChange] = field(default_factory=list)
    windows: list[list[float | None]] = field(default_factory=list)

    def record(self, started: float, ms: float) -> None:
        """One request of the workload: when it started (monotonic), how long it took."""
        self.latencies.append((started, ms))

    async def counters(
        self, service: str, labels: Mapping[str, str] | None = None, *, carried: bool = True
    ) -> dict[str, float]:
        """``service``'s counters now (:func:`accord.chaos.metrics.counters`), plus what
        its processes killed during the run had counted unless ``carried`` is false."""
        now = Counter(await metrics.counters(self.http, self.urls[service], labels))
        if carried and not labels:
            now.update(self.carried.get(service, Counter()))
        return dict(now)

    async def breaker_state(self, service: str, downstream: str) -> float | None:
        """``service``'s breaker for ``downstream`` (:func:`accord.chaos.metrics.breaker_state`)."""
        return await metrics.breaker_state(self.http, self.urls[service], downstream)

    def open_window(self) -> None:
        """Faults are on from now: latencies count as under fault."""
        self.windows.append([time.monotonic(), None])

    def close_window(self) -> None:
        """Faults are off from now."""
        if self.windows and self.windows[-1][1] is None:
            self.windows[-1][1] = time.monotonic()

    def under_fault(self, moment: float) -> bool:
        """Whether ``moment`` (monotonic) fell in a fault window."""
        return any(
            start is not None and start <= moment and (end is None or moment <= end)
            for start, end in self.windows
        )

    def describe(self) -> list[dict[str, Any]]:
        """The fault changes, as the report's JSON lists them."""
        return [asdict(change) for change in self.fault_changes]
