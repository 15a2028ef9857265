"""Blue-green: green starts beside blue, is checked through a preview listener, then
takes all the traffic at once; blue stays warm for the rollback window.

The check is readiness plus the smoke requests the service declares (``smoke`` in
``accord.toml``): each must answer without a 5xx through the preview listener. After
the switch green is watched for one interval; a failure there moves the traffic back
to blue at once. ``accord rollback SERVICE`` does the same by hand while blue is warm.
"""

from __future__ import annotations

import time

import httpx

from accord.rollout.result import RolloutResult
from accord.rollout.runner import CandidateFailed, Rollout

__all__ = ["run_blue_green", "smoke"]

#: Requests every service answers: checked through the preview listener first.
BASE_SMOKE = ("GET /readyz", "GET /livez")


async def smoke(
    base_url: str,
    requests: tuple[str, ...],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Send each smoke request (``METHOD /path``); :class:`CandidateFailed` on a 5xx or
    on no answer. (Over mutual TLS ``transport`` presents the supervisor's certificate.)"""
    async with httpx.AsyncClient(base_url=base_url, timeout=5.0, transport=transport) as http:
        for line in (*BASE_SMOKE, *requests):
            method, _, path = line.strip().partition(" ")
            try:
                r = await http.request(method.upper(), path.strip() or "/")
            except httpx.HTTPError as exc:
                raise CandidateFailed(f"smoke {line}: no answer ({exc})") from None
            if r.status_code >= 500 or (path in ("/readyz", "/livez") and r.status_code != 200):
                raise CandidateFailed(f"smoke {line}: answered {r.status_code}")


async def run_blue_green(rollout: Rollout) -> RolloutResult:
    """Start green, check it through the preview listener, switch, watch; the result."""
    try:
        await rollout.start_candidate(preview=True)
        preview = rollout.system.preview_url(rollout.service)
        assert preview is not None
        rollout.record("checking")
        transport = rollout.system.transport(rollout.service)
        await smoke(preview, rollout.options.smoke, transport=transport)
        rollout.check_abort()
        decided = time.monotonic()
        await rollout.set_candidate_weight(100, "switching")
        rollout.switch = time.monotonic() - decided
        step = await rollout.observe(100, rollout.options.interval, need_evidence=False)
        if step.verdict == "fail":
            raise CandidateFailed(f"after the switch: {step.reason}")
    except CandidateFailed as exc:
        return await rollout.roll_back(str(exc))
    return await rollout.promote(
        f"switched in {rollout.switch * 1000:.0f} ms; {rollout.steps[-1].reason}",
        keep_warm=rollout.options.rollback_window,
    )
