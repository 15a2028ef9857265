"""Release analysis: is a candidate version good enough to take more traffic?

Pure: it takes the counts the candidate and the stable version answered over the *same*
interval and the service's objectives, and returns an :class:`Analysis`, with no I/O::

    result = analyse(candidate, stable, objectives, min_requests=100)
    if result.verdict is Verdict.FAIL:
        roll_back(result.reason)     # "availability: 80.00% < 99.90% (SLO)"

The rules, per objective:

1. Fewer than ``min_requests`` candidate requests: **not enough data**, whatever they
   were (never judge, and never promote, on too little evidence).
2. The candidate's SLI below the objective's target: **fail** against the SLO.
3. The candidate's SLI below the stable version's by more than ``stable_margin`` of the
   error budget: **fail** against stable. (Skipped when stable answered fewer than
   ``min_requests``, or is not given: then only the SLO judges.)
4. Otherwise the objective passes; every objective passing is a **pass**.

A latency objective with no histogram is not enough data; a failure of another objective
outranks it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import msgspec

from accord.slo.objectives import Objective
from accord.slo.sli import Counts, sli

__all__ = ["Analysis", "Counts", "Finding", "Verdict", "analyse"]

#: Share of the error budget a candidate may be worse than stable by, unless told.
DEFAULT_STABLE_MARGIN = 0.5


class Verdict(enum.StrEnum):
    """The outcome of one analysis."""

    PASS = "pass"  # noqa: S105 (a verdict, not a password)
    FAIL = "fail"
    NOT_ENOUGH_DATA = "not_enough_data"


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """One objective the candidate failed: which SLI, its value and the threshold it missed.

    ``against`` is ``slo`` (the objective's target) or ``stable`` (the stable version's SLI
    less the allowed margin).
    """

    objective: str
    sli: str
    value: float
    threshold: float
    against: str

    def __str__(self) -> str:
        return (
            f"{self.objective}: {self.sli} {_pct(self.value)} < {_pct(self.threshold)}"
            f" ({'SLO' if self.against == 'slo' else 'stable'})"
        )


class Analysis(msgspec.Struct, frozen=True, kw_only=True):
    """The verdict, a one-line reason, and every failed objective (empty unless it failed)."""

    verdict: Verdict
    reason: str
    findings: tuple[Finding, ...] = ()
    candidate: Counts = Counts()
    stable: Counts | None = None

    @property
    def passed(self) -> bool:
        """True only for :attr:`Verdict.PASS`."""
        return self.verdict is Verdict.PASS


def analyse(
    candidate: Counts,
    stable: Counts | None,
    objectives: Sequence[Objective],
    *,
    min_requests: int = 100,
    stable_margin: float = DEFAULT_STABLE_MARGIN,
) -> Analysis:
    """Judge ``candidate`` against ``objectives`` and against ``stable`` (same interval).

    ``min_requests`` (at least 1) is the evidence the candidate needs before it can pass.
    Raises :class:`ValueError` for a ``min_requests`` below 1, a negative margin, or no
    objectives.
    """
    if min_requests < 1:
        raise ValueError("min_requests must be at least 1")
    if stable_margin < 0:
        raise ValueError("stable_margin must not be negative")
    if not objectives:
        raise ValueError("no objectives to judge the candidate by")

    def result(verdict: Verdict, reason: str, findings: tuple[Finding, ...] = ()) -> Analysis:
        return Analysis(
            verdict=verdict, reason=reason, findings=findings, candidate=candidate, stable=stable
        )

    if candidate.requests < min_requests:
        return result(
            Verdict.NOT_ENOUGH_DATA,
            f"the candidate answered {candidate.requests} requests, "
            f"fewer than the {min_requests} needed",
        )
    compare = stable is not None and stable.requests >= min_requests
    findings: list[Finding] = []
    missing: list[str] = []
    for objective in objectives:
        value = sli(objective, candidate)
        if value is None:
            missing.append(f"{objective.name}: no {objective.sli.value} data")
            continue
        finding = _judge(objective, value, stable if compare else None, stable_margin)
        if finding is not None:
            findings.append(finding)
    if findings:
        return result(Verdict.FAIL, str(findings[0]), tuple(findings))
    if missing:
        return result(Verdict.NOT_ENOUGH_DATA, "; ".join(missing))
    against = f", no worse than stable ({stable.requests} requests)" if compare and stable else ""
    return result(
        Verdict.PASS,
        f"every objective met over {candidate.requests} requests{against}",
    )


def _judge(
    objective: Objective, value: float, stable: Counts | None, margin: float
) -> Finding | None:
    if value < objective.target:
        return Finding(
            objective=objective.name,
            sli=objective.sli.value,
            value=value,
            threshold=objective.target,
            against="slo",
        )
    reference = sli(objective, stable) if stable is not None else None
    if reference is None:
        return None
    floor = reference - margin * objective.budget
    if value < floor:
        return Finding(
            objective=objective.name,
            sli=objective.sli.value,
            value=value,
            threshold=floor,
            against="stable",
        )
    return None


def _pct(share: float) -> str:
    return f"{share * 100:.2f}%"
