"""``accord demo``: run the project's scripted demo against its services.

Uses the services ``accord up`` is running, or starts them for the demo and stops them
after. The demo itself is project code (``[project] demo = "module:function"``): an
``async def run(urls: Mapping[str, str], home: Path, console: Console) -> bool``.
With ``--tls`` the services it starts speak mutual TLS, as under ``accord up`` (its default)
(the shop's demo then calls as ``accord-supervisor``).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from accord import project as projects
from accord.cli import _help
from accord.cli.up import clear_previous, prepare_client_keys, prepare_tls
from accord.supervisor import StartError, Supervisor, read_run_file

DemoFn = Callable[[Mapping[str, str], Path, Console], Awaitable[bool]]


def register(app: typer.Typer) -> None:
    """Add ``accord demo`` to the CLI."""
    app.command("demo", rich_help_panel=_help.RUN)(demo)


def demo(
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds.")] = 60.0,
    tls: Annotated[
        bool,
        typer.Option("--tls", help="Start the services over mutual TLS (as `accord up` does)."),
    ] = False,
) -> None:
    """Place a scripted set of orders and show their outcomes and one trace.

    Uses the services `accord up` runs, or starts them for the demo and stops them after.

    Example: accord demo
    """
    project = projects.load()
    if not project.demo:
        raise projects.ProjectError("accord.toml names no demo ([project] demo = 'mod:fn')")
    fn: DemoFn = projects.import_object(project.demo)
    # Not a terminal (a log, a test): wide enough that outcomes are not cut short.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    try:
        ok = asyncio.run(asyncio.wait_for(_demo(project, fn, console, tls), timeout))
    except TimeoutError:
        console.print(f"[red]accord: the demo did not finish within {timeout:.0f}s[/red]")
        raise typer.Exit(1) from None
    except StartError as exc:
        console.print(Text(f"accord: {exc}", style="red"), soft_wrap=True)
        raise typer.Exit(1) from None
    raise typer.Exit(0 if ok else 1)


async def _demo(project: projects.Project, fn: DemoFn, console: Console, tls: bool) -> bool:
    urls = read_run_file(project.home)
    if urls is not None:
        console.print("using the services `accord up` is running")
        return await fn(urls, project.home, console)
    clear_previous(project, console)
    logs = project.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    files = {n: (logs / f"{n}.log").open("a", encoding="utf-8") for n in project.services}

    def on_line(name: str, line: str) -> None:
        files[name].write(line + "\n")

    tls_dir = prepare_tls(project, console) if tls else None
    if tls_dir is None:
        prepare_client_keys(project, console)
    supervisor = Supervisor(project, on_line=on_line, tls_dir=tls_dir)
    console.print(f"starting {', '.join(supervisor.order)} (logs in {logs})")
    try:
        await supervisor.start()
        urls = {s.name: s.url for s in supervisor.services.values()}
        return await fn(urls, project.home, console)
    finally:
        await supervisor.stop()
        for f in files.values():
            f.close()
