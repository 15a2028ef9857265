"""Reading per-version figures out of Envoy's Prometheus text."""

from __future__ import annotations

import math

from accord.dataplane.stats import VersionStats, parse_prometheus

TEXT = """\
# TYPE envoy_cluster_upstream_rq_xx counter
envoy_cluster_upstream_rq_xx{envoy_response_code_class="2",envoy_cluster_name="svc--a"} 90
envoy_cluster_upstream_rq_xx{envoy_response_code_class="4",envoy_cluster_name="svc--a"} 5
envoy_cluster_upstream_rq_xx{envoy_response_code_class="5",envoy_cluster_name="svc--a"} 5
# TYPE envoy_cluster_upstream_rq_time histogram
envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="svc--a",le="25"} 50
envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="svc--a",le="250"} 99
envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="svc--a",le="+Inf"} 100
envoy_cluster_upstream_rq_time_sum{envoy_cluster_name="svc--a"} 1234
envoy_cluster_upstream_rq_time_count{envoy_cluster_name="svc--a"} 100
"""


def test_status_classes_and_buckets_per_cluster() -> None:
    stats = parse_prometheus(TEXT)["svc--a"]
    assert stats.requests == 100 and stats.errors == 5
    assert stats.error_rate() == 0.05
    assert stats.share_within(250) == 0.99
    assert stats.share_within(100) == 0.5  # rounded down to the bucket below
    assert stats.quantile(0.5) == 25 and stats.quantile(0.99) == 250
    assert stats.quantile(1.0) == math.inf


def test_an_interval_is_the_difference_of_two_readings() -> None:
    before = VersionStats({"2xx": 10, "5xx": 1}, ((25.0, 5), (math.inf, 11)))
    after = VersionStats({"2xx": 30, "5xx": 1}, ((25.0, 25), (math.inf, 31)))
    delta = after.minus(before)
    assert delta.requests == 20 and delta.errors == 0
    assert delta.share_within(25) == 1.0


def test_no_requests_means_no_sli() -> None:
    empty = VersionStats()
    assert empty.error_rate() is None and empty.share_within(250) is None
    assert empty.quantile(0.99) is None
