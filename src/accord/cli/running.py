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
import re
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
    """Each service's lines, prefixed with its name in a colour of its own (the whole line
    in that colour, as before; formatted lines with their own styles on top).

    Rich renders a ``Text`` at about 150 µs a line: under load the services write
    thousands of lines a second, and ``accord up`` printing them took a tenth of a core
    beside them. So Rich renders each style once (:class:`_Painter`, which honours the
    console's colour system: no codes where it has none) and the lines are written as
    strings, flushed once per turn of the event loop rather than once per line.
    """
    paint = _Painter(console)
    colours = {n: _COLOURS[i % len(_COLOURS)] for i, n in enumerate(project.services)}
    width = max(len(n) for n in project.services)
    for colour in colours.values():  # rendered now, not amid the lines
        paint(colour, "")
    out = console.file
    flushing: list[bool] = []

    def flush() -> None:
        flushing.clear()
        with contextlib.suppress(OSError, ValueError):  # a closed terminal loses the lines
            out.flush()

    def on_line(name: str, line: str) -> None:
        colour = colours.get(name, "")
        prefix = f"{name:<{width}} │ "
        text = (
            paint(colour, _printable(prefix + line))
            if raw
            else paint(colour, prefix) + format_line(line, paint, colour)
        )
        with contextlib.suppress(OSError, ValueError):
            out.write(text + "\n")
        if not flushing:
            try:
                asyncio.get_running_loop().call_soon(flush)
            except RuntimeError:  # no loop: at once
                flush()
            else:
                flushing.append(True)

    return on_line


class _Painter:
    """Text in a Rich style, as ``console`` would render it, each style rendered once."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._codes: dict[str, tuple[str, str]] = {}

    def __call__(self, style: str, text: str) -> str:
        codes = self._codes.get(style)
        if codes is None:
            codes = self._codes[style] = self._render(style)
        return f"{codes[0]}{text}{codes[1]}" if codes[0] else text

    def _render(self, style: str) -> tuple[str, str]:
        if not style:
            return "", ""
        with self._console.capture() as captured:
            self._console.print(Text("x", style=style), end="", soft_wrap=True)
        opening, _, closing = captured.get().partition("x")
        return opening, closing


#: The control codes Rich strips from a ``Text`` (``rich.control.strip_control_codes``,
#: a ``str.translate`` that costs more than the rest of a line's printing): bell,
#: backspace, vertical tab, form feed, carriage return.
_STRIPPED = re.compile("[\x07\x08\x0b\x0c\r]")


def _printable(text: str) -> str:
    """``text`` as Rich prints a ``Text``: without the control codes it strips, and with
    tabs expanded."""
    if _STRIPPED.search(text) is not None:
        text = _STRIPPED.sub("", text)
    return text.expandtabs(8) if "\t" in text else text


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


def format_line(line: str, paint: Callable[[str, str], str] | None = None, base: str = "") -> str:
    """A JSON log line made readable: time, level, event, then the notable fields; with
    ``paint`` (:func:`printer`'s), in styles over the ``base`` style."""

    def styled(style: str, text: str) -> str:
        text = _printable(text)
        return paint(f"{base} {style}".strip(), text) if paint is not None else text

    try:
        data: Any = json.loads(line)
    except ValueError:
        return styled("", line)
    if not isinstance(data, dict) or "event" not in data:
        return styled("", line)
    level = str(data.get("level", "info"))
    style = {"error": "bold red", "warning": "yellow", "critical": "bold red"}.get(level, "")
    ts = str(data.get("ts", ""))[11:23]
    out = [styled("dim", f"{ts} "), styled(style, f"{level:<7} ")]
    if data.get("event") == "request":
        status = data.get("status", "")
        out.append(styled(style, f"{data.get('method', '')} {data.get('path', '')} → {status}"))
        with contextlib.suppress(TypeError, ValueError):
            out.append(styled("dim", f" {float(data.get('duration_ms', 0)):.1f} ms"))
        if data.get("code"):
            out.append(styled("yellow", f" {data['code']}"))
    else:
        out.append(styled(style, str(data["event"])))
        extras = " ".join(
            f"{k}={v}"
            for k, v in data.items()
            if k not in _SKIP and k not in ("trace_id", "correlation_id") and v is not None
        )
        if extras:
            out.append(styled("dim", " " + extras))
    trace = data.get("trace_id")
    if trace and trace != "0" * 32:
        out.append(styled("dim", f" trace={str(trace)[:16]}"))
    return "".join(out)
