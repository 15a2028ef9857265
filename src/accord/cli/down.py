"""``accord down``: stop the services ``accord up`` runs, from any terminal."""

from __future__ import annotations

from typing import Annotated

import typer

from accord import project as projects
from accord import runfile
from accord.cli import _help

__all__ = ["register"]


def down(
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for a graceful stop before SIGKILL.")
    ] = 20.0,
) -> None:
    """Stop the services `accord up` runs for this project (found in <home>/run.json).

    Only the processes the run file recorded are signalled, each checked by its start
    time (a reused pid is left alone): `accord up` first (it stops its services in
    order), then any service still running.

    Example: accord down
    """
    project = projects.load()
    record = runfile.read(project.home)
    if record is None:
        typer.echo(f"nothing to stop: no run file in {project.home}")
        return
    stopped = runfile.stop(record, timeout=timeout)
    runfile.remove(project.home)
    if not stopped:
        typer.echo("nothing was running; removed the stale run file")
        return
    typer.echo("stopped " + ", ".join(f"{p.name} (pid {p.pid})" for p in stopped))


def register(app: typer.Typer) -> None:
    """Add ``accord down`` to the CLI."""
    app.command("down", rich_help_panel=_help.RUN)(down)
