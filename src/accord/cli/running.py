"""``accord up`` once prepared: the supervisor that runs the services, streams their
lines and serves the console, without the command line (Typer) loaded.

:func:`continue_prepared` is where ``accord up`` continues after it has checked the
environment and issued the certificates (:mod:`accord.cli.up`), in a fresh interpreter;
everything here is what that process needs, so it stays small (decision 0021).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from accord import project as projects
from accord.errors import AccordError
from accord.supervisor import LineSink, StartError, Supervisor

if TYPE_CHECKING:
    from accord.config.rotation import RotationSettings
    from accord.console.server import Beside
    from accord.security.rotation import Rotator

__all__ = [
    "SPEC_VARIABLE",
    "console_for",
    "continue_prepared",
    "format_line",
    "make_rotator",
    "printer",
    "rotation_settings",
    "run_system",
]

#: Carries a prepared ``accord up`` into the process it continues in
#: (:func:`accord.cli.up._serve`).
SPEC_VARIABLE = "ACCORD_UP_SPEC"
_COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "red")
_SKIP = frozenset({"ts", "level", "event", "service", "version", "span_id", "logger"})


def console_for() -> Console:
    """The terminal ``accord up`` writes to: no highlighting, and no emoji codes (a
    ``:name:`` in a service's line stays as written; Rich's emoji table stays unloaded)."""
    return Console(highlight=False, emoji=False)


def printer(project: projects.Project, console: Console, *, raw: bool) -> LineSink:
    """Each service's lines, prefixed with its name in a colour of its own."""
    colours = {n: _COLOURS[i % len(_COLOURS)] for i, n in enumerate(project.services)}
    width = max(len(n) for n in project.services)

    def on_line(name: str, line: str) -> None:
        prefix = Text(f"{name:<{width}} │ ", style=colours[name])
        console.print(prefix + (Text(line) if raw else format_line(line)), soft_wrap=True)

    return on_line


def rotation_settings(project: projects.Project) -> Callable[[], RotationSettings]:
    """The reader of the rotation schedule (``config/<env>/rotation.toml``, variables)."""
    from accord.config.rotation import load_settings

    return load_settings(project.root, os.environ)


def make_rotator(
    supervisor: Supervisor, settings: Callable[[], RotationSettings], console: Console
) -> Rotator:
    """The rotator ``accord up`` runs beside its services: the signing keys always, the
    certificates with TLS (decision 0019); rotations go to the audit trail
    ``<home>/audit/accord-supervisor.jsonl``. Each rotation runs in a child process, so
    the supervisor neither loads PyJWT nor holds the private signing keys."""
    from accord.audit import AuditTrail
    from accord.security.rotation import Rotator
    from accord.security.tls import SUPERVISOR

    home = supervisor.project.home
    return Rotator(
        home,
        settings=settings,
        certs=supervisor.tls_dir,
        names=[*supervisor.project.services, SUPERVISOR],
        audit=AuditTrail.under(home, SUPERVISOR),
        on_notice=lambda message: console.print(f"accord: {message}", soft_wrap=True),
        apart=True,
    )


def continue_prepared() -> None:
    """The process :func:`accord.cli.up._serve` continues in (``accord up`` with
    :data:`SPEC_VARIABLE` set, :func:`accord.cli.main`): the prepared system, run."""
    import msgspec

    spec = json.loads(os.environ.pop(SPEC_VARIABLE))
    console = console_for()
    try:
        project = projects.load(Path(spec["file"]))
        project = msgspec.structs.replace(project, home=Path(spec["home"]))
        supervisor = Supervisor(
            project,
            ports=spec["ports"],
            environ=spec["environ"],
            on_line=printer(project, console, raw=spec["raw"]),
            tls_dir=None if spec["tls_dir"] is None else Path(spec["tls_dir"]),
            dataplane=True,
            reload=spec["reload"],
        )
    except AccordError as exc:
        print(f"accord: {exc}", file=sys.stderr)
        sys.exit(2)
    supervisor.extra_env.update(spec["extra_env"])
    rotator = make_rotator(supervisor, rotation_settings(project), console)
    sys.exit(asyncio.run(run_system(supervisor, console, spec["console_port"], rotator)))


async def run_system(
    supervisor: Supervisor, console: Console, console_port: int = 0, rotator: Rotator | None = None
) -> int:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    # SIGHUP: the terminal closed. (SIGKILL and crashes: the children's parent-death
    # signal, accord.lifetime.)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stopping.set)
    # Rotating from the start: short-lived certificates must not expire while services start.
    rotating = asyncio.ensure_future(rotator.run()) if rotator is not None else None
    try:
        await supervisor.start()
    except StartError as exc:
        if rotating is not None:
            rotating.cancel()
        console.print(Text(f"accord: {exc}", style="red"), soft_wrap=True)
        return 1
    table = Table(title=f"{supervisor.project.root.name}: services up", title_justify="left")
    for col in ("service", "url", "pid", "probes"):
        table.add_column(col)
    for svc in supervisor.services.values():
        pid = str(svc.process.pid) if svc.process else "-"
        table.add_row(svc.name, svc.url, pid, f"{svc.url}/readyz  {svc.url}/metrics")
    web = await _console(supervisor, console_port, table)
    console.print(table)
    console.print(
        f"state in {supervisor.project.home}; traces: [bold]accord traces[/bold]; "
        "Ctrl-C stops everything"
    )
    waiter = asyncio.ensure_future(supervisor.wait())
    stopper = asyncio.ensure_future(stopping.wait())
    done, _ = await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    crashed = waiter.result() if waiter in done else None
    waiter.cancel()
    stopper.cancel()
    if rotating is not None:
        rotating.cancel()
    if crashed:
        console.print(f"[red]{crashed} exited; stopping the others[/red]")
    else:
        console.print("stopping…")
    if web is not None:
        await web.stop()
    codes = await supervisor.stop()
    summary = ", ".join(f"{n} {c}" for n, c in codes.items())
    console.print(f"stopped ({summary})")
    return 1 if crashed else 0


async def _console(supervisor: Supervisor, port: int, table: Table) -> Beside | None:
    """The console beside the services (a row of the table), unless ``port`` is 0."""
    if not port:
        return None
    from accord.console.server import Beside

    web = Beside(supervisor.project, port=port)
    started = await web.start()
    table.add_row("console", web.url if started else f"not served: {web.problem}", "", "")
    return web if started else None


def format_line(line: str) -> Text:
    """A JSON log line made readable: time, level, event, then the notable fields."""
    try:
        data: Any = json.loads(line)
    except ValueError:
        return Text(line)
    if not isinstance(data, dict) or "event" not in data:
        return Text(line)
    level = str(data.get("level", "info"))
    style = {"error": "bold red", "warning": "yellow", "critical": "bold red"}.get(level, "")
    ts = str(data.get("ts", ""))[11:23]
    out = Text(f"{ts} ", style="dim")
    out.append(f"{level:<7} ", style=style)
    if data.get("event") == "request":
        status = data.get("status", "")
        out.append(f"{data.get('method', '')} {data.get('path', '')} → {status}", style=style)
        with contextlib.suppress(TypeError, ValueError):
            out.append(f" {float(data.get('duration_ms', 0)):.1f} ms", style="dim")
        if data.get("code"):
            out.append(f" {data['code']}", style="yellow")
    else:
        out.append(str(data["event"]), style=style)
        extras = " ".join(
            f"{k}={v}"
            for k, v in data.items()
            if k not in _SKIP and k not in ("trace_id", "correlation_id") and v is not None
        )
        if extras:
            out.append(" " + extras, style="dim")
    trace = data.get("trace_id")
    if trace and trace != "0" * 32:
        out.append(f" trace={str(trace)[:16]}", style="dim")
    return out
