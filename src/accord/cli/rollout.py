"""``accord rollout``, ``accord rollout status|abort`` and ``accord rollback``.

The rollout talks to the running ``accord up`` through files under the project's
home (docs/release.md). Exit codes: 0 promoted, 1 rolled back, 2 bad input.
"""

from __future__ import annotations

import asyncio
import json
import signal
from typing import Annotated, Any

import msgspec
import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from accord import project as projects
from accord.cli.audit import record
from accord.cli.exits import fail
from accord.release.plan import DEFAULT_PLAN
from accord.rollout import (
    STRATEGIES,
    Options,
    Rollout,
    RolloutBusy,
    RolloutError,
    RolloutResult,
    System,
    default_objectives,
    hold_lock,
    objectives_for,
    release_python,
)
from accord.rollout import abort as abort_rollout
from accord.rollout import rollback as rollback_service
from accord.rollout import status as rollout_status
from accord.rollout.result import Side
from accord.runtime.faults import FaultConfig, FaultConfigError
from accord.slo import SLOError

__all__ = ["register"]

#: The canary's weights unless ``--steps`` says: the plan the cluster's render shares.
_PLAN_STEPS = ",".join(str(w) for w in DEFAULT_PLAN.steps)


def register(app: typer.Typer) -> None:
    """Add ``accord rollout`` and ``accord rollback`` to the CLI."""
    from accord.cli import _help

    app.command("rollout", rich_help_panel=_help.OPERATE)(rollout)
    app.command("rollback", rich_help_panel=_help.OPERATE)(rollback)


def rollout(
    service: Annotated[str, typer.Argument(help="The service, or 'status', or 'abort'.")],
    version: Annotated[str, typer.Argument(help="The release to roll out (abort: service).")] = "",
    strategy: Annotated[str, typer.Option(help="canary or blue-green.")] = "canary",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON result.")] = False,
    steps: Annotated[str, typer.Option(help="Canary weights in per cent.")] = _PLAN_STEPS,
    interval: Annotated[
        float, typer.Option(help="Seconds each step is held.")
    ] = DEFAULT_PLAN.interval.total_seconds(),
    min_requests: Annotated[
        int, typer.Option(help="Candidate requests before judging.")
    ] = DEFAULT_PLAN.min_requests,
    ready_timeout: Annotated[float, typer.Option(help="Seconds to wait for readiness.")] = 60.0,
    step_timeout: Annotated[
        float, typer.Option(help="Seconds a step may wait for enough requests (0: 4 intervals).")
    ] = 0.0,
    working_tree: Annotated[
        bool, typer.Option("--working-tree", help="Run the working tree (VERSION is a label).")
    ] = False,
    env: Annotated[list[str], typer.Option(help="Candidate environment: NAME=VALUE.")] = [],  # noqa: B006
    faults: Annotated[str, typer.Option(help="Candidate fault configuration (JSON).")] = "",
    availability: Annotated[
        float, typer.Option(help="Availability target, unless the service declares one.")
    ] = 0.99,
    latency_threshold: Annotated[
        float, typer.Option(help="Latency threshold (s, a histogram bound), unless declared.")
    ] = 0.25,
    latency_target: Annotated[float, typer.Option(help="Share within the threshold.")] = 0.9,
    rollback_window: Annotated[float, typer.Option(help="Seconds blue stays warm.")] = 300.0,
) -> None:
    """Roll VERSION of SERVICE out behind Envoy (canary or blue-green), or
    ``accord rollout status`` / ``accord rollout abort SERVICE``.

    Example: accord rollout orders 3f2a9c1e --strategy blue-green
    """
    project = projects.load()
    if service == "status":
        return _status(project, as_json)
    if service == "abort":
        return _abort(project, version)
    if strategy not in STRATEGIES:
        raise fail(f"unknown strategy {strategy!r} (canary or blue-green)")
    if service not in project.services:
        raise fail(f"unknown service {service!r}")
    if not version:
        raise fail("which version? accord rollout SERVICE VERSION")
    try:
        python = None if working_tree else str(release_python(project.home, service, version))
        options = Options(
            steps=_steps(steps),
            interval=interval,
            min_requests=max(1, min_requests),
            ready_timeout=ready_timeout,
            step_timeout=step_timeout or None,
            objectives=objectives_for(
                project,
                service,
                default_objectives(
                    availability_target=availability,
                    latency_threshold=latency_threshold,
                    latency_target=latency_target,
                ),
            ),
            rollback_window=rollback_window,
            python=python,
            env=_env(env, faults),
            smoke=tuple(project.services[service].smoke),
        )
        system = System(project.home)
        _check(system, service, version)
        with hold_lock(project.home, service):
            started = {"version": version, "strategy": strategy}
            record("rollout.started", target=service, details=started, home=project.home)
            result = asyncio.run(_run(system, service, version, strategy, options, as_json))
    except (RolloutError, RolloutBusy, projects.ProjectError, SLOError) as exc:
        raise fail(str(exc)) from None
    _audit_result(project, result)
    _report(result, as_json)
    raise typer.Exit(0 if result.outcome == "promoted" else 1)


def _audit_result(project: projects.Project, result: RolloutResult) -> None:
    """``rollout.promoted`` or ``rollout.rolled_back``, with the reason, in the trail."""
    action = "rollout.promoted" if result.outcome == "promoted" else "rollout.rolled_back"
    details = {
        "version": result.candidate,
        "stable": result.stable,
        "strategy": result.strategy,
        "reason": result.reason,
    }
    record(action, target=result.service, details=details, home=project.home)


def _check(system: System, service: str, version: str) -> None:
    if system.primary(service) == version:
        raise RolloutError(f"{service} already runs {version}")


def _steps(text: str) -> tuple[int, ...]:
    try:
        weights = tuple(int(w) for w in text.split(",") if w.strip())
    except ValueError:
        raise RolloutError(f"--steps takes per cents like 5,25,50,100, not {text!r}") from None
    if not weights or any(not 0 < w <= 100 for w in weights) or list(weights) != sorted(weights):
        raise RolloutError(f"--steps must rise within 1..100, not {text!r}")
    return weights if weights[-1] == 100 else (*weights, 100)


def _env(items: list[str], faults: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise RolloutError(f"--env takes NAME=VALUE, got {item!r}")
        out[name] = value
    if faults:
        try:
            FaultConfig.parse(faults)
        except FaultConfigError as exc:
            raise RolloutError(f"--faults: {exc}") from None
        out["ACCORD_FAULTS"] = faults
    return out


async def _run(
    system: System, service: str, version: str, strategy: str, options: Options, as_json: bool
) -> RolloutResult:
    console = Console(stderr=True, highlight=False)
    live = None if as_json else Live(console=console, refresh_per_second=4, transient=False)

    def show(r: Rollout) -> None:
        if live is not None:
            live.update(_view(r))

    run = Rollout(system, service, version, strategy, options, on_progress=show)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, _interrupt, run, sig)
    if live is not None:
        live.start()
    try:
        return await STRATEGIES[strategy](run)
    finally:
        if live is not None:
            live.stop()


def _interrupt(run: Rollout, sig: int) -> None:
    run.interrupted = f"interrupted by {signal.Signals(sig).name}"


def _side(side: Side) -> str:
    rate = side.error_rate
    err = "-" if rate is None else f"{rate * 100:.1f}%"
    p99 = "-" if side.p99_ms is None else f"{side.p99_ms:g} ms"
    return f"{side.weight:>3}%  {side.requests:>6} req  5xx {err:>6}  p99 {p99}"


def _view(run: Rollout) -> Group:
    state = run.state
    head = Text(
        f"{state.strategy} {run.service}: {run.stable} → {run.candidate}  [{state.phase}]",
        style="bold",
    )
    table = Table(box=None, pad_edge=False)
    for col in ("step", "candidate", "stable", "verdict"):
        table.add_column(col)
    for step in run.steps:
        style = {"pass": "green", "fail": "red"}.get(step.verdict, "yellow")
        table.add_row(
            str(step.number),
            _side(step.candidate),
            _side(step.stable),
            Text(f"{step.verdict}: {step.reason}", style=style),
        )
    return Group(head, table)


def _report(result: RolloutResult, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(msgspec.to_builtins(result)))
        return
    word = "promoted" if result.outcome == "promoted" else "rolled back"
    detect = f"; detected in {result.detection_seconds:.2f}s" if result.detection_seconds else ""
    typer.echo(
        f"{result.service} {result.candidate}: {word} — {result.reason} "
        f"({result.requests} requests, {result.failed_requests} failed{detect})"
    )


def _status(project: projects.Project, as_json: bool) -> None:
    try:
        doc = rollout_status(project.home)
    except RolloutError as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(doc))
        return
    console = Console(highlight=False)
    table = Table(title="rollouts", title_justify="left")
    for col in ("service", "primary", "weights", "also running", "rollout"):
        table.add_column(col)
    for service, entry in doc.items():
        weights = ", ".join(f"{c.split('--', 1)[-1]} {w}%" for c, w in entry["weights"].items())
        also = ", ".join(entry["instances"]) or "-"
        table.add_row(service, entry["primary"], weights, also, _rollout_line(entry))
    console.print(table)


def _rollout_line(entry: dict[str, Any]) -> str:
    ro = entry.get("rollout")
    if ro is None:
        return "-"
    line = f"{ro['strategy']} {ro['candidate']}: {ro['phase']}"
    if ro["running"]:
        line += f" (step {ro['step']}, pid {ro['pid']})"
    if ro.get("interrupted"):
        line += f" — interrupted: {ro['interrupted']}"
    elif ro["reason"]:
        line += f" — {ro['reason']}"
    return line


def _abort(project: projects.Project, service: str) -> None:
    if not service:
        raise fail("which service? accord rollout abort SERVICE")
    try:
        typer.echo(asyncio.run(abort_rollout(project.home, service)))
    except RolloutError as exc:
        raise fail(str(exc)) from None
    record("rollout.abort_requested", target=service, home=project.home)


def rollback(service: Annotated[str, typer.Argument(help="The service.")]) -> None:
    """Move SERVICE's traffic back to the version kept warm by a blue-green rollout.

    Example: accord rollback orders
    """
    project = projects.load()
    try:
        target, took = asyncio.run(rollback_service(project.home, service))
    except RolloutError as exc:
        raise fail(str(exc)) from None
    details = {"version": target, "reason": "accord rollback"}
    record("rollout.rolled_back", target=service, details=details, home=project.home)
    typer.echo(f"{service}: all traffic back on {target} in {took * 1000:.0f} ms")
