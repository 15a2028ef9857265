"""Judging a candidate from Envoy's per-version statistics.

The rollout asks one question at each step: over the same interval, is the candidate
good enough by the service's objectives and no worse than the stable version? The
answer is an :class:`Judgement`: ``pass``, ``fail`` (with the SLI, its value and the
threshold it missed) or ``wait`` (fewer than ``min_requests`` candidate requests: never
judge, and never promote, on too little evidence).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from accord.dataplane.stats import VersionStats

__all__ = ["Goal", "Judgement", "Verdict", "default_goals", "judge"]


class Verdict(enum.StrEnum):
    """The outcome of one look at the candidate."""

    PASS = "pass"  # noqa: S105 - a verdict, not a secret
    FAIL = "fail"
    WAIT = "wait"


@dataclass(frozen=True)
class Goal:
    """One objective a candidate must meet: ``availability`` (share of answers not 5xx)
    or ``latency`` (share answered within ``threshold`` seconds), at least ``target``."""

    name: str
    sli: str
    target: float
    threshold: float | None = None

    @property
    def budget(self) -> float:
        """The share of requests allowed to be bad."""
        return 1.0 - self.target

    def value(self, stats: VersionStats) -> float | None:
        """The SLI over ``stats``; None without requests."""
        if self.sli == "availability":
            rate = stats.error_rate()
            return None if rate is None else 1.0 - rate
        return stats.share_within((self.threshold or 0.0) * 1000.0)


@dataclass(frozen=True)
class Judgement:
    """A verdict and its reason (for a failure: which SLI, its value, the threshold)."""

    verdict: Verdict
    reason: str
    sli: str = ""
    value: float | None = None
    threshold: float | None = None


def default_goals(
    *, availability: float = 0.99, latency_threshold: float = 0.25, latency_target: float = 0.9
) -> tuple[Goal, ...]:
    """Availability and latency goals, for a service that declares no objectives."""
    return (
        Goal("availability", "availability", availability),
        Goal("latency", "latency", latency_target, latency_threshold),
    )


def judge(
    candidate: VersionStats,
    stable: VersionStats | None,
    goals: Sequence[Goal],
    *,
    min_requests: int,
    stable_margin: float = 0.5,
) -> Judgement:
    """Judge ``candidate`` by ``goals`` and against ``stable`` over the same interval.

    A candidate below a goal's target fails against the SLO; one below the stable
    version's SLI by more than ``stable_margin`` of the error budget fails against
    stable (only when stable answered ``min_requests`` too).
    """
    if candidate.requests < max(1, min_requests):
        return Judgement(
            Verdict.WAIT, f"{candidate.requests} of {min_requests} candidate requests so far"
        )
    compare = stable is not None and stable.requests >= min_requests
    for goal in goals:
        value = goal.value(candidate)
        if value is None:
            continue
        if value < goal.target:
            return _failed(goal, value, goal.target, "SLO")
        reference = goal.value(stable) if compare and stable is not None else None
        if reference is not None and value < reference - stable_margin * goal.budget:
            return _failed(goal, value, reference - stable_margin * goal.budget, "stable")
    return Judgement(Verdict.PASS, f"every objective met over {candidate.requests} requests")


def _failed(goal: Goal, value: float, threshold: float, against: str) -> Judgement:
    what = goal.sli if goal.threshold is None else f"{goal.sli} within {goal.threshold * 1000:g} ms"
    return Judgement(
        Verdict.FAIL,
        f"{what} {value * 100:.2f}% < {threshold * 100:.2f}% ({against})",
        goal.sli,
        value,
        threshold,
    )
