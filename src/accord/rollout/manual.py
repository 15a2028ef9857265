"""What a person does by hand: see the rollouts, abort one, roll back to a warm version."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from accord.dataplane.desired import Desired, read_desired, write_desired
from accord.dataplane.plane import pid_alive
from accord.rollout.state import RolloutState, read_state, write_state
from accord.rollout.system import RolloutError, System

__all__ = ["abort", "rollback", "status"]


def status(home: Path) -> dict[str, Any]:
    """Every service: its primary, the weights Envoy was given, what else runs, and the
    last rollout (``running``, ``interrupted`` or how it ended)."""
    system = System(home)
    out: dict[str, Any] = {}
    for service, info in system.services.items():
        instances = system.dataplane.get("instances", {}).get(service, {})
        entry: dict[str, Any] = {
            "primary": info["version"],
            "weights": system.weights(service),
            "instances": instances,
        }
        desired = read_desired(home, service)
        warm = [i.version for i in desired.instances if i.keep_until] if desired else []
        if warm:
            entry["warm"] = warm
        state = read_state(home, service)
        if state is not None:
            entry["rollout"] = _describe(state, desired)
        out[service] = entry
    return out


def _describe(state: RolloutState, desired: Desired | None) -> dict[str, Any]:
    running = not state.final and pid_alive(state.pid)
    doc: dict[str, Any] = {
        "strategy": state.strategy,
        "stable": state.stable,
        "candidate": state.candidate,
        "phase": state.phase,
        "step": state.step,
        "weights": state.weights,
        "reason": state.reason,
        "pid": state.pid,
        "running": running,
    }
    if not state.final and not running:
        reverted = desired.reverted if desired is not None else None
        doc["interrupted"] = reverted or (
            f"the rollout (pid {state.pid}) is gone; traffic still at its last weights "
            f"{state.weights} until accord up returns it to {state.stable}"
        )
    return doc


async def abort(home: Path, service: str, *, timeout: float = 60.0) -> str:
    """Roll back the rollout of ``service`` by hand; what happened, in one line."""
    system = System(home)
    if service not in system.services:
        raise RolloutError(f"unknown service {service!r}")
    state = read_state(home, service)
    if state is not None and not state.final and pid_alive(state.pid):
        (home / "rollouts" / f"{service}.abort").touch()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = read_state(home, service)
            if current is not None and current.final:
                return f"{service}: rolled back ({current.reason})"
            await asyncio.sleep(0.1)
        raise RolloutError(f"the rollout of {service} did not stop within {timeout:g}s")
    primary = system.primary(service)
    extra = system.dataplane.get("instances", {}).get(service, {})
    if not extra:
        raise RolloutError(f"no rollout of {service} to abort")
    expected = system.set_weights(service, {primary: 100})
    await system.route_loaded(service, expected)
    write_desired(home, service, Desired(primary=primary))
    if state is not None and not state.final:
        state.phase, state.reason = "rolled_back", "aborted by hand (accord rollout abort)"
        state.weights = {primary: 100}
        write_state(home, state)
    return f"{service}: all traffic on {primary}; stopping {', '.join(sorted(extra))}"


async def rollback(home: Path, service: str, *, timeout: float = 60.0) -> tuple[str, float]:
    """Move ``service`` back to the version kept warm; the version and seconds it took."""
    system = System(home)
    if service not in system.services:
        raise RolloutError(f"unknown service {service!r}")
    state = read_state(home, service)
    if state is not None and not state.final and pid_alive(state.pid):
        raise RolloutError(f"a rollout of {service} is running: use accord rollout abort")
    desired = read_desired(home, service)
    now = time.time()
    warm = [
        i.version
        for i in (desired.instances if desired else ())
        if i.keep_until and i.keep_until > now and _ready(system, service, i.version)
    ]
    if not warm:
        raise RolloutError(f"nothing to roll back to: no earlier version of {service} is warm")
    target, current = warm[0], system.primary(service)
    started = time.monotonic()
    expected = system.set_weights(service, {target: 100})
    await system.route_loaded(service, expected)
    took = time.monotonic() - started
    write_desired(home, service, Desired(primary=target))
    if state is not None:
        state.phase, state.reason = "rolled_back", f"rolled back by hand from {current} to {target}"
        state.weights = {target: 100}
        write_state(home, state)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and system.primary(service) != target:
        await asyncio.sleep(0.1)
        system.refresh()
    return target, took


def _ready(system: System, service: str, version: str) -> bool:
    found = system.instance(service, version)
    return bool(found and found.get("ready"))
