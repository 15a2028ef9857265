"""Counts per objective, read from a service's own ``/metrics``.

The runtime records every request in the ``http_server_request_duration_seconds``
histogram, labelled by method, route template and status code
(:mod:`accord.observability.metrics`). :func:`counts_from_exposition` sums it, per
objective, over the requests the objective covers; :func:`scrape` fetches the text first.
"""

from __future__ import annotations

import math
import ssl
from collections import defaultdict

import httpx
from prometheus_client.parser import text_string_to_metric_families

from accord.slo.objectives import SLOError
from accord.slo.registry import ServiceObjectives
from accord.slo.sli import Counts

__all__ = ["REQUESTS_HISTOGRAM", "counts_from_exposition", "scrape"]

#: The server's request duration histogram, as the runtime names it.
REQUESTS_HISTOGRAM = "http_server_request_duration_seconds"

_METHOD = "http_request_method"
_ROUTE = "http_route"
_STATUS = "http_response_status_code"


def counts_from_exposition(text: str, service: ServiceObjectives) -> dict[str, Counts]:
    """Objective name → the counts it covers, since the process started."""
    requests: dict[str, int] = defaultdict(int)
    errors: dict[str, int] = defaultdict(int)
    buckets: dict[str, dict[float, int]] = defaultdict(lambda: defaultdict(int))
    try:
        families = list(text_string_to_metric_families(text))
    except ValueError as exc:
        raise SLOError(f"{service.service}: unreadable metrics ({exc})") from None
    for family in families:
        if family.name != REQUESTS_HISTOGRAM:
            continue
        for sample in family.samples:
            labels = sample.labels
            method, route = labels.get(_METHOD, ""), labels.get(_ROUTE, "")
            value = int(sample.value)
            for objective in service.objectives:
                if not service.covers(objective, method, route):
                    continue
                name = objective.name
                if sample.name.endswith("_count"):
                    requests[name] += value
                    if labels.get(_STATUS, "").startswith("5"):
                        errors[name] += value
                elif sample.name.endswith("_bucket"):
                    bound = float(labels.get("le", "+Inf"))
                    if not math.isinf(bound):
                        buckets[name][bound] += value
    return {
        o.name: Counts(
            requests=requests[o.name],
            server_errors=errors[o.name],
            buckets=tuple(sorted(buckets[o.name].items())),
        )
        for o in service.objectives
    }


def scrape(
    service: ServiceObjectives,
    *,
    url: str | None = None,
    timeout: float = 5.0,
    verify: ssl.SSLContext | bool = True,
) -> dict[str, Counts]:
    """GET ``<url>/metrics`` (default: the service's well-known address) and count
    (``verify``: the TLS context of an ``https://`` URL, e.g. mutual TLS as the
    supervisor)."""
    target = (url or service.url).rstrip("/") + "/metrics"
    try:
        response = httpx.get(target, timeout=timeout, verify=verify)
    except httpx.HTTPError as exc:
        raise SLOError(f"{service.service}: cannot read {target} ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise SLOError(f"{service.service}: {target} answered {response.status_code}")
    return counts_from_exposition(response.text, service)
