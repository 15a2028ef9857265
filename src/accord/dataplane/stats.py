"""Per-version statistics, read from Envoy's admin interface.

Each version of a service is a cluster of its own, so Envoy counts its answers by
status class (``upstream_rq_xx``) and times them (``upstream_rq_time``, milliseconds,
in buckets). A release is judged from these, outside the process being judged. The
numbers are cumulative since Envoy started: :meth:`VersionStats.minus` gives the ones
of an interval.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx

__all__ = ["VersionStats", "parse_prometheus", "read_stats"]

_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")


@dataclass(frozen=True)
class VersionStats:
    """What Envoy saw of one cluster: answers by status class and a latency histogram.

    ``buckets`` are cumulative ``(upper bound in ms, count)`` pairs, ``+inf`` last.
    """

    classes: dict[str, int] = field(default_factory=dict)
    buckets: tuple[tuple[float, int], ...] = ()

    @property
    def requests(self) -> int:
        """Answers counted, whatever their status."""
        return sum(self.classes.values())

    @property
    def errors(self) -> int:
        """Answers with a 5xx status (4xx are the caller's, and count as good)."""
        return self.classes.get("5xx", 0)

    @property
    def timed(self) -> int:
        """Requests in the latency histogram."""
        return self.buckets[-1][1] if self.buckets else 0

    def error_rate(self) -> float | None:
        """The share of 5xx answers; None without answers."""
        return self.errors / self.requests if self.requests else None

    def share_within(self, milliseconds: float) -> float | None:
        """The share of timed requests answered within ``milliseconds`` (rounded down to
        the nearest bucket bound); None without timed requests."""
        if not self.timed:
            return None
        within = 0
        for bound, count in self.buckets:
            if bound <= milliseconds:
                within = count
        return within / self.timed

    def quantile(self, q: float) -> float | None:
        """An upper bound of the ``q`` quantile in milliseconds (a bucket's bound)."""
        if not self.timed:
            return None
        rank = q * self.timed
        for bound, count in self.buckets:
            if count >= rank:
                return bound
        return math.inf

    def minus(self, earlier: VersionStats) -> VersionStats:
        """The counts since ``earlier`` (a reading of the same cluster)."""
        classes = {k: v - earlier.classes.get(k, 0) for k, v in self.classes.items()}
        before = dict(earlier.buckets)
        buckets = tuple((b, c - before.get(b, 0)) for b, c in self.buckets)
        return VersionStats(classes, buckets)


def parse_prometheus(text: str) -> dict[str, VersionStats]:
    """Per-cluster statistics from Envoy's ``/stats/prometheus`` text."""
    classes: dict[str, dict[str, int]] = {}
    buckets: dict[str, list[tuple[float, int]]] = {}
    # Loaded here: accord up reads statistics only while a rollout runs.
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        if family.name == "envoy_cluster_upstream_rq_xx":
            for sample in family.samples:
                cluster = sample.labels.get("envoy_cluster_name", "")
                key = f"{sample.labels.get('envoy_response_code_class', '')}xx"
                if key in _CLASSES:
                    classes.setdefault(cluster, {})[key] = int(sample.value)
        elif family.name == "envoy_cluster_upstream_rq_time":
            for sample in family.samples:
                if sample.name.endswith("_bucket"):
                    cluster = sample.labels.get("envoy_cluster_name", "")
                    bound = float(sample.labels["le"])
                    buckets.setdefault(cluster, []).append((bound, int(sample.value)))
    names: Iterable[str] = set(classes) | set(buckets)
    return {
        name: VersionStats(classes.get(name, {}), tuple(sorted(buckets.get(name, []))))
        for name in names
    }


async def read_stats(admin_url: str, *, timeout: float = 2.0) -> dict[str, VersionStats]:
    """Every cluster's statistics now."""
    async with httpx.AsyncClient(timeout=timeout) as http:
        r = await http.get(
            admin_url + "/stats/prometheus",
            params={"filter": r"^cluster\.[^.]+\.upstream_rq_(xx|time|[0-9]xx)"},
        )
        r.raise_for_status()
    return parse_prometheus(r.text)
