"""The histogram buckets of request durations, alone: read by processes that export no
metrics themselves (``accord up``'s data plane configures Envoy's with them), so they do
not load ``prometheus_client`` for a constant."""

from __future__ import annotations

__all__ = ["DURATION_BUCKETS"]

#: Seconds; the OpenTelemetry HTTP semantic conventions' advice for duration histograms.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
