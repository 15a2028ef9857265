"""The moves every strategy shares: start a candidate, set weights, watch, decide.

A :class:`Rollout` owns one rollout of one service. It records each move in the
state file before making it (:mod:`accord.rollout.state`), asks the running system for
processes through the desired-state file (:mod:`accord.dataplane.desired`), writes the
weights into the service's route file, and waits until Envoy has loaded them.
Strategies (:mod:`~accord.rollout.canary`, :mod:`~accord.rollout.bluegreen`) are
sequences of these moves.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from accord.dataplane.desired import Desired, Instance, write_desired
from accord.dataplane.stats import VersionStats
from accord.dataplane.topology import cluster_name
from accord.errors import AccordError
from accord.release.analysis import Analysis, Verdict
from accord.release.plan import DEFAULT_PLAN
from accord.rollout.analysis import default_objectives, failing, judge
from accord.rollout.result import RolloutResult, Side, StepRecord
from accord.rollout.state import RolloutState, write_state
from accord.rollout.system import RolloutError, System
from accord.slo import Objective

__all__ = ["CandidateFailed", "Options", "Rollout", "abort_path"]

Progress = Callable[["Rollout"], None]


class CandidateFailed(AccordError):
    """The candidate must be rolled back; the message is the reason."""


@dataclass(frozen=True)
class Options:
    """How a rollout runs. ``steps`` are the candidate's weights in per cent; each is held
    ``interval`` seconds and judged once the candidate answered ``min_requests`` in it
    (``step_timeout``, default 4 times ``interval``, bounds the wait for that many)."""

    steps: tuple[int, ...] = DEFAULT_PLAN.steps
    interval: float = DEFAULT_PLAN.interval.total_seconds()
    min_requests: int = DEFAULT_PLAN.min_requests
    ready_timeout: float = 60.0
    step_timeout: float | None = None
    poll: float = 0.25
    objectives: tuple[Objective, ...] = field(default_factory=default_objectives)
    rollback_window: float = 300.0
    python: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    smoke: tuple[str, ...] = ()


def abort_path(system: System, service: str) -> str:
    """The file ``accord rollout abort`` creates to stop a running rollout."""
    return str(system.home / "rollouts" / f"{service}.abort")


class Rollout:
    """One rollout of ``candidate`` over the running ``stable`` version of ``service``."""

    def __init__(
        self,
        system: System,
        service: str,
        candidate: str,
        strategy: str,
        options: Options,
        on_progress: Progress | None = None,
    ) -> None:
        self.system = system
        self.service = service
        self.candidate = candidate
        self.stable = system.primary(service)
        self.options = options
        self.on_progress = on_progress or (lambda _r: None)
        self.state = RolloutState(
            service=service,
            strategy=strategy,
            stable=self.stable,
            candidate=candidate,
            pid=os.getpid(),
        )
        self.steps: list[StepRecord] = []
        self.interrupted: str | None = None
        self.first_failure: float | None = None
        self.detection: float | None = None
        self.switch: float | None = None
        self.started = time.monotonic()
        self._baseline: dict[str, VersionStats] = {}
        self._latest: dict[str, VersionStats] = {}
        with_abort = abort_path(system, service)
        if os.path.exists(with_abort):
            os.unlink(with_abort)

    # -- the candidate's process -----------------------------------------------------

    def record(self, phase: str, *, reason: str | None = None) -> None:
        """Write the state file (before the move it announces)."""
        self.state.phase = phase
        if reason is not None:
            self.state.reason = reason
        write_state(self.system.home, self.state)
        self.on_progress(self)

    def ask(self, *, primary: str, instances: Sequence[Instance] = (), owned: bool = True,
            preview: str | None = None) -> None:  # fmt: skip
        """Write the service's desired state."""
        owner = os.getpid() if owned else 0
        desired = Desired(primary=primary, instances=tuple(instances), preview=preview, owner=owner)
        write_desired(self.system.home, self.service, desired)

    async def start_candidate(self, *, preview: bool = False) -> None:
        """Ask for the candidate beside stable and wait until it is ready and routable."""
        self._baseline = await self.system.stats()
        self.record("starting")
        inst = Instance(
            version=self.candidate,
            python=self.options.python,
            env=dict(self.options.env),
            ready_timeout=self.options.ready_timeout,
        )
        self.ask(primary=self.stable, instances=[inst], preview=self.candidate if preview else None)
        deadline = time.monotonic() + self.options.ready_timeout + 2.0
        while True:
            self.check_abort()
            self.system.refresh()
            failed = self.system.failed(self.service, self.candidate)
            if failed:
                raise CandidateFailed(f"{self.candidate} did not start: {failed}")
            found = self.system.instance(self.service, self.candidate)
            ready = found is not None and found.get("ready")
            if ready and (not preview or self.system.preview_url(self.service)):
                break
            if time.monotonic() > deadline:
                timeout = self.options.ready_timeout
                raise CandidateFailed(f"{self.candidate} was not ready within {timeout:g}s")
            await asyncio.sleep(0.1)
        await self.system.cluster_known(self.service, self.candidate)

    # -- weights ---------------------------------------------------------------------

    async def set_candidate_weight(self, weight: int, phase: str) -> float:
        """Record, then give the candidate ``weight`` % (stable the rest); seconds until
        Envoy runs it."""
        weights = {self.stable: 100 - weight, self.candidate: weight}
        if weight >= 100:
            weights = {self.candidate: 100}
        elif weight <= 0:
            weights = {self.stable: 100}
        self.state.weights = {self.stable: 100 - weight, self.candidate: weight}
        self.record(phase)
        expected = self.system.set_weights(self.service, weights)
        return await self.system.route_loaded(self.service, expected)

    # -- watching --------------------------------------------------------------------

    def check_abort(self) -> None:
        """Raise :class:`CandidateFailed` when the rollout was interrupted or aborted."""
        if self.interrupted is None and os.path.exists(abort_path(self.system, self.service)):
            self.interrupted = "aborted by hand (accord rollout abort)"
        if self.interrupted is not None:
            raise CandidateFailed(self.interrupted)

    async def observe(self, weight: int, hold: float, *, need_evidence: bool = True) -> StepRecord:
        """Hold ``weight`` for ``hold`` seconds, judging all along; the step's record.

        A failure ends the step at once. A step ends after ``hold`` seconds with a pass,
        or when ``step_timeout`` passes without enough requests: a failure, unless
        ``need_evidence`` is off (then it ends after ``hold``, ``not_enough_data``).
        """
        step = StepRecord(
            number=len(self.steps) + 1,
            weight=weight,
            candidate=Side(version=self.candidate, weight=weight),
            stable=Side(version=self.stable, weight=100 - weight),
        )
        self.steps.append(step)
        self.state.step = step.number
        before = await self.system.stats()
        began = time.monotonic()
        limit = self.options.step_timeout or 4 * max(self.options.interval, 1.0)
        while True:
            await asyncio.sleep(self.options.poll)
            judgement = await self._look(step, before)
            step.seconds = time.monotonic() - began
            step.verdict, step.reason = judgement.verdict.value, judgement.reason
            self.on_progress(self)
            if judgement.verdict is Verdict.FAIL:
                return step
            if step.seconds >= hold and (judgement.verdict is Verdict.PASS or not need_evidence):
                return step
            if step.seconds >= max(hold, limit):
                step.verdict = Verdict.FAIL.value
                step.reason = f"not enough requests to judge: {judgement.reason}"
                return step
            self.check_abort()

    async def _look(self, step: StepRecord, before: dict[str, VersionStats]) -> Analysis:
        now = await self.system.stats()
        self._latest.update(now)
        cand = _delta(now, before, cluster_name(self.service, self.candidate))
        stable = _delta(now, before, cluster_name(self.service, self.stable))
        if self.first_failure is None and failing(cand, self.options.objectives):
            self.first_failure = time.monotonic()
        step.candidate = _side(self.candidate, step.weight, cand)
        step.stable = _side(self.stable, 100 - step.weight, stable)
        return judge(cand, stable, self.options.objectives, min_requests=self.options.min_requests)

    # -- endings ---------------------------------------------------------------------

    async def roll_back(self, reason: str) -> RolloutResult:
        """Weight 0 to the candidate at once, then stop it after its in-flight requests."""
        self.state.reason = reason
        await self.set_candidate_weight(0, "rolling_back")
        if self.first_failure is not None:
            self.detection = time.monotonic() - self.first_failure
        self._latest.update(await self.system.stats())
        self.ask(primary=self.stable, owned=False)
        await self._wait(lambda: self.system.instance(self.service, self.candidate) is None)
        self.record("rolled_back")
        return await self.result("rolled_back", reason)

    async def promote(self, reason: str, *, keep_warm: float | None = None) -> RolloutResult:
        """The candidate becomes the primary; the old one drains and stops (or stays warm
        for ``keep_warm`` seconds, for ``accord rollback``)."""
        self.record("promoting", reason=reason)
        warm = []
        if keep_warm:
            warm = [Instance(version=self.stable, keep_until=time.time() + keep_warm)]
        self.ask(primary=self.candidate, instances=warm, owned=False)

        def done() -> bool:
            if self.system.primary(self.service) != self.candidate:
                return False
            return bool(keep_warm) or self.system.instance(self.service, self.stable) is None

        await self._wait(done)  # the old version drained and stopped (unless kept warm)
        self.record("promoted")
        return await self.result("promoted", reason)

    async def _wait(self, done: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.system.refresh()
            if done():
                return
            await asyncio.sleep(0.1)
        raise RolloutError(f"the system did not follow the rollout of {self.service} in time")

    async def result(self, outcome: str, reason: str) -> RolloutResult:
        """The whole rollout's figures (a stopped version's last reading stands for it)."""
        now = {**self._latest, **await self.system.stats()}
        requests = errors = 0
        for version in (self.stable, self.candidate):
            delta = _delta(now, self._baseline, cluster_name(self.service, version))
            requests += delta.requests
            errors += delta.errors
        return RolloutResult(
            service=self.service,
            strategy=self.state.strategy,
            stable=self.stable,
            candidate=self.candidate,
            outcome=outcome,
            reason=reason,
            steps=self.steps,
            requests=requests,
            failed_requests=errors,
            detection_seconds=self.detection,
            switch_seconds=self.switch,
            duration_seconds=time.monotonic() - self.started,
        )


def _delta(
    now: dict[str, VersionStats], before: dict[str, VersionStats], name: str
) -> VersionStats:
    current = now.get(name, VersionStats())
    return current.minus(before.get(name, VersionStats()))


def _side(version: str, weight: int, stats: VersionStats) -> Side:
    return Side(
        version=version,
        weight=weight,
        requests=stats.requests,
        errors=stats.errors,
        p99_ms=stats.quantile(0.99),
    )
