"""The canary plan: the steps and analysis parameters a release goes through.

One plan for both engines: the local rollout behind Envoy (``accord rollout``) and the
Argo Rollouts ``Rollout`` that ``accord deploy render`` writes for a cluster take the
candidate through the same weights, judge it by the same objectives, with the same
minimum of requests and the same margin against the stable version
(:func:`accord.release.analyse`'s parameters).
"""

from __future__ import annotations

import datetime

import msgspec

from accord.release.analysis import DEFAULT_STABLE_MARGIN

__all__ = ["DEFAULT_PLAN", "CanaryPlan"]


class CanaryPlan(msgspec.Struct, frozen=True, kw_only=True):
    """Weights in per cent, each held ``interval``, judged once ``min_requests`` answered."""

    steps: tuple[int, ...] = (5, 25, 50, 100)
    interval: datetime.timedelta = datetime.timedelta(seconds=30)
    min_requests: int = 50
    stable_margin: float = DEFAULT_STABLE_MARGIN

    def window(self, scrape_interval: datetime.timedelta) -> datetime.timedelta:
        """How long a cluster step is held and measured: the interval, but at least four
        scrapes, so Prometheus' ``increase`` has samples to work with."""
        return max(self.interval, 4 * scrape_interval)


#: The plan ``accord rollout`` and ``accord deploy render`` share unless told otherwise.
DEFAULT_PLAN = CanaryPlan()
