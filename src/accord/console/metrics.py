"""Request rate, error rate and p99 of a service, from two readings of its ``/metrics``.

The runtime records every request in ``http_server_request_duration_seconds`` (labelled
by method, route template and status). A :class:`Reading` sums it over the service's
operations (its own probes, metrics and documents left out, so the console's polling
does not count); a :class:`Window` keeps the readings of the last ``span`` seconds and
answers the figures over that window: requests per second, the share answered 5xx, and
the 99th percentile estimated from the histogram's buckets as Prometheus'
``histogram_quantile`` does.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

__all__ = ["OWN_ROUTES", "Figures", "Reading", "Window", "quantile", "read_exposition"]

HISTOGRAM = "http_server_request_duration_seconds"

#: Routes every accord service answers on its own: not counted as traffic.
OWN_ROUTES = frozenset({"/livez", "/readyz", "/metrics", "/openapi.json", "/docs"})


@dataclass(frozen=True)
class Reading:
    """Cumulative counts at one moment: requests, 5xx answers, and bucket counts."""

    at: float
    requests: int
    errors: int
    buckets: dict[float, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Figures:
    """A service's traffic over a window; None where there is nothing to say yet."""

    rate: float | None
    error_rate: float | None
    p99_ms: float | None
    requests: int
    window_s: float


def _counted(route: str) -> bool:
    return route not in OWN_ROUTES and not route.endswith(("/openapi.json", "/docs"))


def read_exposition(text: str, at: float | None = None) -> Reading:
    """Sum the request histogram of a Prometheus exposition; ValueError if unreadable."""
    requests = errors = 0
    buckets: dict[float, int] = defaultdict(int)
    for family in text_string_to_metric_families(text):
        if family.name != HISTOGRAM:
            continue
        for sample in family.samples:
            labels = sample.labels
            if not _counted(labels.get("http_route", "")):
                continue
            if sample.name.endswith("_count"):
                requests += int(sample.value)
                if labels.get("http_response_status_code", "").startswith("5"):
                    errors += int(sample.value)
            elif sample.name.endswith("_bucket"):
                buckets[float(labels.get("le", "+Inf"))] += int(sample.value)
    return Reading(time.monotonic() if at is None else at, requests, errors, dict(buckets))


def quantile(q: float, buckets: dict[float, int]) -> float | None:
    """The ``q`` quantile (seconds) of cumulative ``buckets``, interpolated linearly
    inside the bucket it falls in; None when there are no observations."""
    bounds = sorted(buckets)
    if not bounds:
        return None
    total = buckets[bounds[-1]]
    if total <= 0:
        return None
    rank = q * total
    lower_bound, lower_count = 0.0, 0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower_bound  # beyond the last finite bucket: its bound is all we know
            inside = count - lower_count
            share = (rank - lower_count) / inside if inside else 1.0
            return lower_bound + (bound - lower_bound) * share
        lower_bound, lower_count = bound, count
    return lower_bound


class Window:
    """The readings of one service over the last ``span`` seconds."""

    def __init__(self, span: float = 30.0) -> None:
        self.span = span
        self._readings: deque[Reading] = deque()

    def add(self, reading: Reading) -> Figures:
        """Record ``reading`` and answer the figures since the oldest kept reading."""
        if self._readings and reading.requests < self._readings[-1].requests:
            self._readings.clear()  # the process restarted: its counters began again
        self._readings.append(reading)
        while len(self._readings) > 2 and reading.at - self._readings[1].at >= self.span:
            self._readings.popleft()
        first = self._readings[0]
        elapsed = reading.at - first.at
        if len(self._readings) < 2 or elapsed <= 0:
            return Figures(None, None, None, reading.requests, 0.0)
        count = reading.requests - first.requests
        errors = reading.errors - first.errors
        delta = {b: n - first.buckets.get(b, 0) for b, n in reading.buckets.items()}
        p99 = quantile(0.99, delta)
        return Figures(
            rate=count / elapsed,
            error_rate=errors / count if count else None,
            p99_ms=None if p99 is None else p99 * 1000,
            requests=reading.requests,
            window_s=elapsed,
        )
