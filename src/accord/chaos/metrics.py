"""Reading a service's Prometheus counters and its clients' breaker states over HTTP.

The engine reads them before it kills a service (so that what the process counted is
carried over its restart), after it edits a service's faults (to see the reload
applied) and for the report; a scenario reads them for its own figures.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

__all__ = ["breaker_state", "counters"]


async def _families(http: httpx.AsyncClient, url: str) -> list[Metric] | None:
    try:
        text = (await http.get(f"{url}/metrics")).text
        return list(text_string_to_metric_families(text))
    except (httpx.HTTPError, ValueError):
        return None  # not answering, or not Prometheus text (a refusal)


async def counters(
    http: httpx.AsyncClient, url: str, labels: Mapping[str, str] | None = None
) -> dict[str, float]:
    """Counter totals by family name (``accord_client_attempts`` …), summed over labels;
    only the samples carrying every one of ``labels`` when given. Empty when the service
    does not answer."""
    families = await _families(http, url)
    totals: dict[str, float] = {}
    for family in families or []:
        for sample in family.samples:
            if not sample.name.endswith("_total"):
                continue
            if labels and any(sample.labels.get(k) != v for k, v in labels.items()):
                continue
            name = family.name
            totals[name] = totals.get(name, 0.0) + float(sample.value)
    return totals


async def breaker_state(http: httpx.AsyncClient, url: str, downstream: str) -> float | None:
    """The state of the service's breaker for ``downstream`` (0 closed, 1 open,
    2 half-open); -1 when not readable now; None when the service exports no breaker."""
    families = await _families(http, url)
    if families is None:
        return -1.0
    for family in families:
        if family.name == "accord_client_breaker_state":
            for sample in family.samples:
                if sample.labels.get("downstream") == downstream:
                    return float(sample.value)
            return -1.0  # exported, not yet for this downstream
    return None
