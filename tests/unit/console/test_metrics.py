"""The console's figures from two readings of a service's /metrics."""

from __future__ import annotations

import pytest

from accord.console.metrics import Reading, Window, quantile, read_exposition
from accord.observability.metrics import Metrics


def _observe(metrics: Metrics, route: str, status: int, seconds: float, times: int = 1) -> None:
    for _ in range(times):
        metrics.server_duration.labels("GET", route, str(status)).observe(seconds)


def test_a_reading_sums_operations_and_leaves_out_the_services_own_routes() -> None:
    metrics = Metrics(process=False)
    _observe(metrics, "/v1/skus/{sku}", 200, 0.004, times=3)
    _observe(metrics, "/v1/skus/{sku}", 503, 0.2)
    _observe(metrics, "/readyz", 200, 0.001, times=50)
    _observe(metrics, "/v1/openapi.json", 200, 0.001, times=5)
    reading = read_exposition(metrics.render().decode(), at=1.0)
    assert (reading.requests, reading.errors) == (4, 1)
    assert reading.buckets[0.005] == 3


def test_quantile_interpolates_inside_its_bucket_like_prometheus() -> None:
    buckets = {0.1: 50, 0.2: 100, float("inf"): 100}
    assert quantile(0.5, buckets) == pytest.approx(0.1)
    assert quantile(0.99, buckets) == pytest.approx(0.198)
    assert quantile(0.99, {0.1: 0, float("inf"): 0}) is None
    assert quantile(0.99, {0.1: 0, float("inf"): 10}) == pytest.approx(0.1)


def test_a_window_answers_rate_error_share_and_p99_between_readings() -> None:
    window = Window(span=30)
    first = window.add(Reading(0.0, 10, 0, {0.1: 10, 1.0: 10, float("inf"): 10}))
    assert first.rate is None and first.p99_ms is None
    figures = window.add(Reading(2.0, 30, 5, {0.1: 20, 1.0: 30, float("inf"): 30}))
    assert figures.rate == pytest.approx(10.0)
    assert figures.error_rate == pytest.approx(0.25)
    assert figures.p99_ms == pytest.approx(100 + 900 * (19.8 - 10) / 10)
    quiet = window.add(Reading(4.0, 30, 5, {0.1: 20, 1.0: 30, float("inf"): 30}))
    assert quiet.rate == pytest.approx(5.0)


def test_a_restarted_service_starts_its_window_again() -> None:
    window = Window()
    window.add(Reading(0.0, 100, 0, {}))
    after = window.add(Reading(2.0, 3, 0, {}))
    assert after.rate is None and after.requests == 3
