"""A candidate judged from Envoy's per-version statistics by the service's objectives.

The judging itself is :func:`accord.release.analyse` (pure, shared with everything that
judges a release). This module adapts the data plane to it: Envoy's counts of one
version become :class:`~accord.slo.Counts`, and the objectives are the service's own
service-wide ones (``slos`` in ``accord.toml``), completed by defaults for an SLI the
service does not declare service-wide. Envoy counts per version, not per operation, so
objectives of one operation are left to ``accord slo status``.
"""

from __future__ import annotations

from collections.abc import Sequence

from accord.dataplane.stats import VersionStats
from accord.project import Project
from accord.release.analysis import Analysis, analyse
from accord.slo import Counts, Objective, availability, latency, sli
from accord.slo.registry import load_objectives

__all__ = ["counts", "default_objectives", "failing", "judge", "objectives_for"]


def counts(stats: VersionStats) -> Counts:
    """Envoy's figures of one version (latency buckets in ms) as :class:`Counts` (seconds).

    Envoy merges its histograms from its worker threads a moment after it counts the
    answers, so a reading's histogram may lack the last few requests. The buckets are
    scaled to the answers counted (the missing few taken to be like the rest), so a
    request not yet in the histogram is not taken for a slow one.
    """
    timed = stats.timed
    scale = stats.requests / timed if timed else 1.0
    return Counts(
        requests=stats.requests,
        server_errors=stats.errors,
        buckets=tuple((bound / 1000.0, int(n * scale)) for bound, n in stats.buckets),
    )


def default_objectives(
    *,
    availability_target: float = 0.99,
    latency_threshold: float = 0.25,
    latency_target: float = 0.9,
) -> tuple[Objective, ...]:
    """Availability and latency objectives for a service that declares none service-wide.

    Raises :class:`SLOError` for a threshold that is not a histogram bound.
    """
    return (
        availability(availability_target, name="availability"),
        latency(latency_threshold, latency_target, name="latency"),
    )


def objectives_for(
    project: Project, service: str, defaults: Sequence[Objective]
) -> tuple[Objective, ...]:
    """The service's service-wide objectives, and a default for each SLI it leaves out."""
    declared: tuple[Objective, ...] = ()
    if project.services[service].slos:
        found = load_objectives(project, service)
        declared = tuple(o for o in found[0].objectives if not o.route) if found else ()
    kinds = {o.sli for o in declared}
    return declared + tuple(d for d in defaults if d.sli not in kinds)


def judge(
    candidate: VersionStats,
    stable: VersionStats | None,
    objectives: Sequence[Objective],
    *,
    min_requests: int,
) -> Analysis:
    """:func:`accord.release.analyse` over the two versions' figures of one interval."""
    return analyse(
        counts(candidate),
        counts(stable) if stable is not None else None,
        objectives,
        min_requests=min_requests,
    )


def failing(stats: VersionStats, objectives: Sequence[Objective]) -> bool:
    """Whether the candidate answered at least one request an objective counts as bad."""
    measured = counts(stats)
    for objective in objectives:
        value = sli(objective, measured)
        if value is not None and value < 1.0:
            return True
    return False
