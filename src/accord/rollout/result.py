"""What a rollout reports: one record per step and one result for the whole."""

from __future__ import annotations

import msgspec

__all__ = ["RolloutResult", "Side", "StepRecord"]


class Side(msgspec.Struct, frozen=True, kw_only=True):
    """One version over one step: its weight, requests, 5xx and p99 (ms, a bucket bound)."""

    version: str
    weight: int
    requests: int = 0
    errors: int = 0
    p99_ms: float | None = None

    @property
    def error_rate(self) -> float | None:
        """The share of 5xx answers; None without requests."""
        return self.errors / self.requests if self.requests else None


class StepRecord(msgspec.Struct, kw_only=True):
    """One step of a rollout: the weights, both sides' figures, and the verdict."""

    number: int
    weight: int
    candidate: Side
    stable: Side
    verdict: str = "wait"
    reason: str = ""
    seconds: float = 0.0


class RolloutResult(msgspec.Struct, kw_only=True):
    """The outcome of ``accord rollout`` (``--json`` prints it).

    ``requests`` and ``failed_requests`` (5xx) count every request to the service
    through Envoy during the rollout; ``detection_seconds`` runs from the candidate's
    first failure seen to its weight 0 loaded by Envoy; ``switch_seconds`` from the
    decision to move traffic to Envoy running the new route.
    """

    service: str
    strategy: str
    stable: str
    candidate: str
    outcome: str
    reason: str
    steps: list[StepRecord]
    requests: int = 0
    failed_requests: int = 0
    detection_seconds: float | None = None
    switch_seconds: float | None = None
    duration_seconds: float = 0.0
