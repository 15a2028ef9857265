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

import msgspec

from accord.dataplane.stats import VersionStats
from accord.project import Project
from accord.release.analysis import Analysis, Finding, Verdict, analyse
from accord.slo import SLI, Counts, Objective, availability, latency, sli
from accord.slo.registry import load_objectives
from accord.slo.sli import good

__all__ = ["counts", "default_objectives", "failing", "judge", "objectives_for"]


def counts(stats: VersionStats) -> Counts:
    """Envoy's figures of one version (latency buckets in ms) as :class:`Counts` (seconds).

    Envoy merges its histograms from its worker threads a moment after it counts the
    answers, so a reading's histogram may lack the last few requests. The buckets are
    scaled to the answers counted (the missing few taken to be like the rest), so a
    request not yet in the histogram is not taken for a slow one. With nothing in the
    histogram yet there are no buckets: latency cannot be told (not enough data).
    """
    timed = stats.timed
    if not timed:
        return Counts(requests=stats.requests, server_errors=stats.errors)
    scale = stats.requests / timed
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
    """:func:`accord.release.analyse` over the two versions' figures of one interval, and
    a failure as soon as it is certain.

    Before ``min_requests`` the analysis has not enough data; but when the candidate has
    already answered so many bad requests that, even if every other request up to
    ``min_requests`` were good, an objective would be missed, the step's verdict is
    decided: it fails now (the same failure, found sooner). It never passes sooner.
    """
    measured = counts(candidate)
    result = analyse(
        measured,
        counts(stable) if stable is not None else None,
        objectives,
        min_requests=min_requests,
    )
    if result.verdict is not Verdict.NOT_ENOUGH_DATA or measured.requests <= 0:
        return result
    findings = tuple(f for o in objectives if (f := _doomed(o, measured, min_requests)))
    if not findings:
        return result
    return msgspec.structs.replace(
        result, verdict=Verdict.FAIL, reason=str(findings[0]), findings=findings
    )


def _doomed(objective: Objective, measured: Counts, min_requests: int) -> Finding | None:
    """The finding when ``objective`` is missed even if the rest up to ``min_requests``
    were good: at best ``(min_requests - bad) / min_requests``."""
    ok = good(objective, measured)
    if ok is None:
        return None
    seen = measured.requests
    if objective.sli is SLI.LATENCY:  # only what the histogram has timed counts as slow
        seen = measured.buckets[-1][1] if measured.buckets else 0
    best = (min_requests - max(0, seen - ok)) / min_requests
    if best >= objective.target:
        return None
    return Finding(
        objective=objective.name,
        sli=objective.sli.value,
        value=max(0.0, best),
        threshold=objective.target,
        against="slo",
    )


def failing(stats: VersionStats, objectives: Sequence[Objective]) -> bool:
    """Whether the candidate answered at least one request an objective counts as bad."""
    measured = counts(stats)
    for objective in objectives:
        value = sli(objective, measured)
        if value is not None and value < 1.0:
            return True
    return False
