"""The ``AnalysisTemplate`` of a service: the release analysis, as Prometheus queries.

Locally :func:`accord.release.analyse` judges a candidate from counts of the same
interval; in a cluster Argo Rollouts runs these queries at each canary step. Both are
derived from the same objectives and the same :class:`~accord.release.plan.CanaryPlan`:

- per objective, ``<name>-slo``: the candidate's SLI over the step's window. It fails
  below the objective's target; it is **inconclusive** (the query answers -1) while the
  candidate answered fewer than ``min_requests`` (requests to any operation of the
  service, as locally): never judged, never promoted, on too little evidence (Argo pauses
  the rollout for a person to decide). An objective of one operation that took no
  request in the window has nothing against it (the query answers 1);
- per objective, ``<name>-stable``: the candidate's SLI less the stable version's. It
  fails below ``-stable_margin * error budget``; when either side answered fewer than
  ``min_requests`` the comparison is skipped (the query answers 0), as locally.

The objectives judged are the local rollout's (:func:`judged_objectives`, which asks
:mod:`accord.rollout.analysis`): the service-wide ones, and the rollout's default for an
SLI the service declares none of service-wide.
Objectives of one operation still alert (the ``PrometheusRule``); a canary step is not
judged by them, locally or here.

Versions are told apart by the ``rollouts_pod_template_hash`` label the
``ServiceMonitor`` copies from each pod (``accord.deploy.monitoring``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accord.deploy.objects import labels, meta
from accord.project import Project
from accord.release.plan import CanaryPlan
from accord.slo.objectives import SLI, Objective
from accord.slo.registry import ServiceObjectives
from accord.slo.scrape import REQUESTS_HISTOGRAM

__all__ = [
    "HASH_LABEL",
    "analysis_template",
    "duration",
    "judged_objectives",
    "template_name",
]

#: The metric label that names a version: the pod template hash Argo Rollouts sets.
HASH_LABEL = "rollouts_pod_template_hash"
#: What the SLO query answers while the candidate has too few requests (inconclusive).
NOT_ENOUGH = -1
#: What it answers for an operation that took no request while the service took enough.
NOTHING_TO_JUDGE = 1


def template_name(service: str) -> str:
    """The ``AnalysisTemplate``'s name."""
    return f"{service}-canary"


def duration(seconds: float) -> str:
    """Seconds as a Prometheus/Argo duration: ``30s``, ``2m``, ``1h``."""
    whole = int(seconds)
    for unit, size in (("h", 3600), ("m", 60)):
        if whole >= size and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


def _number(value: float) -> str:
    return f"{value:.10g}"


def _regex(route: str) -> str:
    return "".join(f"[{c}]" if c in "{}.+*?()|^$[]" else c for c in route)


def _selector(
    service: ServiceObjectives, objective: Objective | None, side: str, extra: str = ""
) -> str:
    """The series of ``side`` that count for ``objective`` (None: the whole service)."""
    parts = [f'job="{service.service}"', f'{HASH_LABEL}="{{{{args.{side}-hash}}}}"']
    if objective is not None and objective.route:
        parts += [f'http_request_method="{objective.method}"', f'http_route="{objective.route}"']
    else:
        parts.append(f'http_route=~"{"|".join(_regex(r) for r in service.routes)}"')
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}"


def _total(service: ServiceObjectives, objective: Objective | None, side: str, window: str) -> str:
    sel = _selector(service, objective, side)
    return f"sum(increase({REQUESTS_HISTOGRAM}_count{sel}[{window}]))"


def _sli(service: ServiceObjectives, objective: Objective, side: str, window: str) -> str:
    """The share of good requests of one side over ``window`` (as accord.slo.sli counts it)."""
    total = _total(service, objective, side, window)
    if objective.sli is SLI.AVAILABILITY:
        bad = _selector(service, objective, side, 'http_response_status_code=~"5.."')
        errors = f"(sum(increase({REQUESTS_HISTOGRAM}_count{bad}[{window}])) or vector(0))"
        return f"(1 - {errors} / {total})"
    from prometheus_client.utils import floatToGoString

    le = floatToGoString(objective.threshold or 0.0)  # type: ignore[no-untyped-call]
    within = _selector(service, objective, side, f'le="{le}"')
    return f"(sum(increase({REQUESTS_HISTOGRAM}_bucket{within}[{window}])) / {total})"


def _enough(service: ServiceObjectives, side: str, window: str, n: int) -> str:
    """The side's requests to the whole service, when there are at least ``n``."""
    return f"({_total(service, None, side, window)} >= {n})"


def _metrics(
    service: ServiceObjectives, objective: Objective, plan: CanaryPlan, window: str, url: str
) -> list[dict[str, Any]]:
    n = plan.min_requests
    candidate = _sli(service, objective, "canary", window)
    stable = _sli(service, objective, "stable", window)
    enough_c = _enough(service, "canary", window, n)
    enough_s = _enough(service, "stable", window, n)
    slo_query = (
        f"({candidate} and on() {enough_c})"
        f" or on() (vector({NOT_ENOUGH}) unless on() {enough_c})"
        f" or on() vector({NOTHING_TO_JUDGE})"
    )
    diff_query = (
        f"(({candidate} - {stable}) and on() {enough_c} and on() {enough_s}) or on() vector(0)"
    )
    target = _number(objective.target)
    floor = _number(-plan.stable_margin * objective.budget)

    def metric(name: str, query: str, success: str, failure: str) -> dict[str, Any]:
        return {
            "name": name,
            "count": 1,
            "failureLimit": 0,
            "successCondition": success,
            "failureCondition": failure,
            "provider": {"prometheus": {"address": url, "query": query}},
        }

    return [
        metric(
            f"{objective.name}-slo",
            slo_query,
            f"result[0] >= {target}",
            f"result[0] >= 0 && result[0] < {target}",
        ),
        metric(
            f"{objective.name}-stable",
            diff_query,
            f"result[0] >= {floor}",
            f"result[0] < {floor}",
        ),
    ]


def judged_objectives(project: Project, service: str) -> tuple[Objective, ...]:
    """What a canary of ``service`` is judged by: exactly what the local rollout judges it
    by (:func:`accord.rollout.analysis.objectives_for` with its defaults): the service-wide
    objectives, and a default for an SLI the service declares none of service-wide."""
    from accord.rollout.analysis import default_objectives, objectives_for

    return objectives_for(project, service, default_objectives())


def analysis_template(
    service: ServiceObjectives,
    objectives: Sequence[Objective],
    plan: CanaryPlan,
    window_seconds: float,
    prometheus_url: str,
) -> dict[str, Any]:
    """The ``AnalysisTemplate`` of ``service``: two metrics per objective of
    ``objectives`` (module docstring)."""
    window = duration(window_seconds)
    metrics = [
        m
        for objective in objectives
        for m in _metrics(service, objective, plan, window, prometheus_url)
    ]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": meta(template_name(service.service), labels(service.service)),
        "spec": {
            "args": [{"name": "canary-hash"}, {"name": "stable-hash"}],
            "metrics": metrics,
        },
    }
