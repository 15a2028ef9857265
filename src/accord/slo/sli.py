"""Counts of requests and the SLIs computed from them: pure arithmetic, no I/O.

A :class:`Counts` is what a service (or one version of it) answered over some interval:
how many requests, how many of them 5xx, and the cumulative latency histogram. The same
counts feed ``accord slo status`` (scraped from a service's ``/metrics``) and the release
analysis (from the data plane's statistics).
"""

from __future__ import annotations

import math

import msgspec

from accord.slo.objectives import SLI, Objective

__all__ = ["Counts", "budget_left", "burn_rate", "good", "sli"]


class Counts(msgspec.Struct, frozen=True, kw_only=True):
    """Requests answered over an interval.

    ``buckets`` is a cumulative histogram: ``(upper bound in seconds, requests answered
    within it)``, bounds ascending, as Prometheus' ``le`` buckets are.
    """

    requests: int = 0
    server_errors: int = 0
    buckets: tuple[tuple[float, int], ...] = ()

    def within(self, seconds: float) -> int | None:
        """Requests answered within ``seconds``: the count of the largest bound not above it.

        A threshold between two bounds counts only what is surely within it, so the SLI
        never flatters. None when no bound is at or below ``seconds``.
        """
        best: int | None = None
        for bound, count in self.buckets:
            if bound <= seconds or math.isclose(bound, seconds):
                best = count
            else:
                break
        return best

    def __sub__(self, earlier: Counts) -> Counts:
        """What was answered between ``earlier`` and these counts (counters only grow)."""
        before = dict(earlier.buckets)
        return Counts(
            requests=self.requests - earlier.requests,
            server_errors=self.server_errors - earlier.server_errors,
            buckets=tuple((b, n - before.get(b, 0)) for b, n in self.buckets),
        )


def good(objective: Objective, counts: Counts) -> int | None:
    """How many of ``counts`` were good by ``objective``; None when it cannot be told."""
    if objective.sli is SLI.AVAILABILITY:
        return counts.requests - counts.server_errors
    return counts.within(objective.threshold or 0.0)


def sli(objective: Objective, counts: Counts) -> float | None:
    """The share of good requests (0..1); None with no requests or no histogram."""
    ok = good(objective, counts)
    if ok is None or counts.requests <= 0:
        return None
    return min(1.0, max(0.0, ok / counts.requests))


def burn_rate(objective: Objective, value: float | None) -> float | None:
    """How fast the error budget burns at SLI ``value``: 1.0 spends it exactly in the window."""
    if value is None:
        return None
    return (1.0 - value) / objective.budget


def budget_left(objective: Objective, value: float | None) -> float | None:
    """The share of the error budget left if ``value`` held over the whole window (≤ 1)."""
    rate = burn_rate(objective, value)
    return None if rate is None else 1.0 - rate
