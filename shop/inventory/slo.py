"""What inventory's callers may expect: its service-level objectives (``docs/slo.md``)."""

from __future__ import annotations

from accord.slo import availability, latency

__all__ = ["SLOS"]

SLOS = (
    availability(0.999),
    latency(0.25, 0.99),
)
