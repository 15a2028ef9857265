"""Service-level objectives: declared in code, measured from metrics, alerted on burn.

- :mod:`accord.slo.objectives`: :class:`Objective`, :func:`availability`, :func:`latency`;
- :mod:`accord.slo.sli`: :class:`Counts` and the SLI, burn rate and budget arithmetic;
- :mod:`accord.slo.registry`: a project's objectives, as ``accord.toml`` registers them;
- :mod:`accord.slo.scrape`: counts read from a service's ``/metrics``;
- :mod:`accord.slo.rules`: Prometheus recording rules and multi-window burn-rate alerts.
"""

from __future__ import annotations

from accord.slo.objectives import (
    DEFAULT_WINDOW,
    SLI,
    Objective,
    SLOError,
    availability,
    latency,
)
from accord.slo.sli import Counts, budget_left, burn_rate, sli

__all__ = [
    "DEFAULT_WINDOW",
    "SLI",
    "Counts",
    "Objective",
    "SLOError",
    "availability",
    "budget_left",
    "burn_rate",
    "latency",
    "sli",
]
