"""Canary: the candidate takes traffic in steps, judged at each one against its SLOs
and against the stable version over the same interval.

A failed step (or an interruption) sends the candidate's weight back to 0 at once and
stops it after its in-flight requests; a passed last step promotes it, and the old
version drains and stops.
"""

from __future__ import annotations

from accord.rollout.result import RolloutResult
from accord.rollout.runner import CandidateFailed, Rollout

__all__ = ["run_canary"]


async def run_canary(rollout: Rollout) -> RolloutResult:
    """Run the steps of ``rollout.options``; the result (promoted or rolled back)."""
    try:
        await rollout.start_candidate()
        for weight in rollout.options.steps:
            rollout.check_abort()
            await rollout.set_candidate_weight(weight, "analysing")
            step = await rollout.observe(weight, rollout.options.interval)
            if step.verdict != "pass":
                raise CandidateFailed(
                    f"step {step.number} ({weight} %): {step.reason}"
                    if step.reason
                    else f"step {step.number} ({weight} %) failed"
                )
    except CandidateFailed as exc:
        return await rollout.roll_back(str(exc))
    last = rollout.steps[-1] if rollout.steps else None
    reason = f"{len(rollout.steps)} steps passed" + (f"; {last.reason}" if last else "")
    return await rollout.promote(reason)
