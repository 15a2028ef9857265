"""Where each objective stands: the SLI now, the error budget left, the burn rate.

Computed from a service's counters (:mod:`accord.slo.scrape`), which start at zero when
its process starts: the SLI and the budget are over everything the process answered; the
burn rate is over the last interval when two scrapes are given, else over the same span.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from accord.slo.objectives import Objective
from accord.slo.registry import ServiceObjectives
from accord.slo.sli import Counts, budget_left, burn_rate, good, sli

__all__ = ["ObjectiveStatus", "statuses"]


class ObjectiveStatus(msgspec.Struct, frozen=True, kw_only=True):
    """One objective of one service, as ``accord slo status`` shows it.

    ``sli``, ``budget_left`` and ``burn_rate`` are None when no request counted yet.
    ``burn_over`` says what span the burn rate covers.
    """

    service: str
    objective: str
    sli_kind: str
    scope: str
    target: float
    window_days: float
    requests: int
    bad: int | None
    sli: float | None
    budget_left: float | None
    burn_rate: float | None
    burn_over: str


def statuses(
    service: ServiceObjectives,
    now: Mapping[str, Counts],
    earlier: Mapping[str, Counts] | None = None,
    interval: float = 0.0,
) -> list[ObjectiveStatus]:
    """The status of every objective of ``service`` from its counts (``now``), and the
    burn rate over ``interval`` seconds when the counts of ``earlier`` are given."""
    return [_status(service.service, o, now, earlier, interval) for o in service.objectives]


def _status(
    service: str,
    objective: Objective,
    now: Mapping[str, Counts],
    earlier: Mapping[str, Counts] | None,
    interval: float,
) -> ObjectiveStatus:
    counts = now.get(objective.name, Counts())
    value = sli(objective, counts)
    ok = good(objective, counts)
    if earlier is not None:
        recent = counts - earlier.get(objective.name, Counts())
        rate = burn_rate(objective, sli(objective, recent))
        over = f"last {interval:g}s"
    else:
        rate = burn_rate(objective, value)
        over = "since start"
    return ObjectiveStatus(
        service=service,
        objective=objective.name,
        sli_kind=objective.sli.value,
        scope=objective.scope,
        target=objective.target,
        window_days=objective.window.total_seconds() / 86400,
        requests=counts.requests,
        bad=None if ok is None else counts.requests - ok,
        sli=value,
        budget_left=budget_left(objective, value),
        burn_rate=rate,
        burn_over=over,
    )
