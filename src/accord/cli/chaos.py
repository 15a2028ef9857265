"""``accord chaos``: run the project's chaos scenario and audit what it promised."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from accord.chaos import ChaosConfig, run

__all__ = ["chaos", "register"]


def register(app: typer.Typer) -> None:
    """Add ``accord chaos`` to the CLI."""
    from accord.cli import _help

    app.command("chaos", rich_help_panel=_help.OPERATE)(chaos)


def _number(flag: str, value: str, *, minimum: float, integer: bool = False) -> float:
    try:
        number = int(value) if integer else float(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        kind = "an integer" if integer else "a number"
        raise _bad(f"{flag} takes {kind} of at least {minimum:g}, got {value!r}")
    return number


def _bad(message: str) -> typer.Exit:
    typer.echo(f"accord: {message}", err=True)
    return typer.Exit(2)


def chaos(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
    duration: Annotated[
        str, typer.Option(help="Seconds of load and faults (at least 10).", metavar="S")
    ] = "60",
    seed: Annotated[str, typer.Option(help="Seed of the load's choices.", metavar="N")] = "1",
    home: Annotated[
        Path | None,
        typer.Option(
            help="Keep the run's state (databases, services.log, telemetry) in this folder "
            "instead of a temporary one.",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Run the project's services under load and faults, then audit what they promised.

    Starts its own copy of the project's services and runs the chaos scenario
    accord.toml names: its load while services are killed, slowed and failed (faults
    set live by editing their configuration), then its audit of their data. Exits 1
    when a promise was broken.

    The shop's scenario places orders while inventory, payments and orders are killed
    and faulted, then audits per order and per key: lost orders, double charges,
    stock, holds left.

    Example: accord chaos --duration 30 --json
    """
    config = ChaosConfig(
        duration=_number("--duration", duration, minimum=10),
        seed=int(_number("--seed", seed, minimum=0, integer=True)),
        home=home.resolve() if home is not None else None,
    )
    err = Console(stderr=True, highlight=False)
    try:
        report = asyncio.run(
            run(config, progress=None if as_json else lambda m: err.print(f"[dim]{m}[/dim]"))
        )
    except KeyboardInterrupt:
        raise _bad("interrupted; the services were stopped") from None
    broken = report.failures()
    if as_json:
        sys.stdout.write(report.to_json().decode() + "\n")
    else:
        Console(highlight=False).print(report.table())
    for failure in broken:
        err.print(f"[red]broken: {failure}[/red]")
    raise typer.Exit(1 if broken else 0)
