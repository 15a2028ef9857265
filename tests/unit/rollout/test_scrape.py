"""A version's own /metrics as the statistics a rollout judges."""

from __future__ import annotations

import math

from prometheus_client import generate_latest

from accord.observability.metrics import Metrics
from accord.rollout.analysis import counts
from accord.rollout.scrape import version_stats


def _exposition() -> str:
    metrics = Metrics(process=False)
    for _ in range(7):
        metrics.observe_server("GET", "/v1/orders", 200, 0.004)
    metrics.observe_server("POST", "/v1/orders", 201, 0.3)
    metrics.observe_server("POST", "/v1/orders", 503, 0.02)
    metrics.observe_server("GET", "/v1/orders/{order_id}", 404, 0.001)
    for route in ("/readyz", "/livez", "/metrics"):  # the operators', never judged
        metrics.observe_server("GET", route, 503, 9.0)
    return generate_latest(metrics.registry).decode()


def test_answers_are_counted_by_class_over_the_services_own_routes() -> None:
    stats = version_stats(_exposition())
    assert stats.classes == {"2xx": 8, "5xx": 1, "4xx": 1}
    assert (stats.requests, stats.errors) == (10, 1)


def test_the_histogram_is_in_milliseconds_on_the_runtimes_bounds() -> None:
    stats = version_stats(_exposition())
    assert stats.buckets[0] == (5.0, 8)  # 7 x 4 ms and 1 ms
    assert dict(stats.buckets)[250.0] == 9 and dict(stats.buckets)[500.0] == 10
    assert math.isinf(stats.buckets[-1][0]) and stats.timed == 10
    assert stats.quantile(0.99) == 500.0
    # as the judging reads it: seconds, the runtime's own bounds (an SLO threshold is one)
    assert counts(stats).buckets[6] == (0.25, 9)


def test_nothing_served_yet_is_nothing_counted() -> None:
    stats = version_stats(generate_latest(Metrics(process=False).registry).decode())
    assert stats.requests == 0 and stats.timed == 0
