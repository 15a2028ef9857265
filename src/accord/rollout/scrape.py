"""Per-version statistics read from each version's own ``/metrics``, over mutual TLS.

With mutual TLS Envoy passes TCP through and sees no requests
(docs/decisions/0018-encrypted-by-default.md), so a rollout asks the versions
themselves: every version is a process of its own behind its own port, and its runtime
counts each request in ``http_server_request_duration_seconds`` (by route template and
status). The sums over the service's own routes (probes and ``/metrics`` left out) make
the same :class:`~accord.dataplane.stats.VersionStats` Envoy's statistics make, so the
judging is unchanged. The scrape presents the supervisor's certificate
(``accord-supervisor``, which every service admits) and accepts only a server whose
SPIFFE id is the service's.
"""

from __future__ import annotations

import asyncio
import functools
import math
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from accord.dataplane.stats import VersionStats
from accord.slo.scrape import REQUESTS_HISTOGRAM

__all__ = ["OWN_ROUTES", "read_versions", "transport_for", "version_stats"]

#: Routes every service answers for its operators, not its callers: never judged.
OWN_ROUTES = frozenset({"/livez", "/readyz", "/metrics"})


def version_stats(text: str) -> VersionStats:
    """One process's answers by status class and its latency histogram (bounds in ms,
    ``+inf`` last), from its ``/metrics`` text; its own routes left out."""
    classes: dict[str, int] = defaultdict(int)
    buckets: dict[float, int] = defaultdict(int)
    for family in text_string_to_metric_families(text):
        if family.name != REQUESTS_HISTOGRAM:
            continue
        for sample in family.samples:
            if sample.labels.get("http_route", "") in OWN_ROUTES:
                continue
            if sample.name.endswith("_count"):
                status = sample.labels.get("http_response_status_code", "")
                classes[f"{status[:1]}xx"] += int(sample.value)
            elif sample.name.endswith("_bucket"):
                bound = float(sample.labels.get("le", "+Inf"))
                ms = bound if math.isinf(bound) else round(bound * 1000, 3)
                buckets[ms] += int(sample.value)
    return VersionStats(dict(classes), tuple(sorted(buckets.items())))


async def read_versions(
    targets: Mapping[str, tuple[str, str]], tls_dir: Path | None, *, timeout: float = 2.0
) -> dict[str, VersionStats]:
    """Each cluster's statistics now, read from its process: ``targets`` maps a cluster
    to ``(service, base URL of that version)``. A version that does not answer is left
    out (the caller keeps its last reading)."""

    async def one(service: str, url: str) -> VersionStats | None:
        transport = transport_for(tls_dir, service) if tls_dir is not None else None
        try:
            async with httpx.AsyncClient(timeout=timeout, transport=transport) as http:
                r = await http.get(url.rstrip("/") + "/metrics")
        except httpx.HTTPError:
            return None
        return version_stats(r.text) if r.status_code == 200 else None

    names = list(targets)
    found = await asyncio.gather(*(one(*targets[name]) for name in names))
    return {name: stats for name, stats in zip(names, found, strict=True) if stats is not None}


@functools.cache  # one per service: its certificate files are loaded once (and reloaded)
def transport_for(tls_dir: Path, service: str) -> httpx.AsyncBaseTransport:
    """Mutual TLS to ``service`` as the supervisor (one transport per service: its
    certificate files are loaded once, and reloaded when they change)."""
    from accord.security.tls import SUPERVISOR, MutualTLSTransport, TLSConfig

    return MutualTLSTransport(TLSConfig(tls_dir, SUPERVISOR), service)
