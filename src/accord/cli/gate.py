"""``accord release gate``: every check a release must pass, in one table.

::

    accord release gate [--against REF] [--only NAME,...] [--skip-tests] [--osv-dir DIR] [--json]

Runs, in order: contract compatibility against REF, configuration schemas, pact
verification, ruff (with its security rules), mypy, the dependency audit, the Kubernetes
manifests (drift, schemas, policy) and the test suite (:mod:`accord.release.gate_checks`).
Prints one row per check with its status and time; exit 0 only when every row passes, 1
otherwise, 2 on bad input. Each check's output is kept under ``<home>/gate/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import msgspec
import typer

from accord.cli.exits import fail
from accord.errors import AccordError

if TYPE_CHECKING:
    from accord.release.gate import Row

__all__ = ["register"]

_STYLE = {
    "pass": "green",
    "fail": "bold red",
    "not checked": "yellow",
    "skipped": "yellow",
    "not available": "dim",
}


def gate_command(
    against: Annotated[
        str | None,
        typer.Option("--against", help="The git ref (default: last tag, else origin/main)."),
    ] = None,
    only: Annotated[
        str, typer.Option("--only", help="Run just these checks (comma-separated names).")
    ] = "",
    skip_tests: Annotated[
        bool, typer.Option("--skip-tests", help="Do not run the test suite (not a pass).")
    ] = False,
    osv_dir: Annotated[
        Path | None,
        typer.Option("--osv-dir", help="A local OSV copy for the audit (air-gapped)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Run every check a release must pass; exit 0 only when all pass.

    Example: accord release gate --against v1.2.0
    """
    from accord.project import load
    from accord.release.gate import gate_passed, run_gate
    from accord.release.gate_checks import CHECK_NAMES, checks, default_ref

    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in CHECK_NAMES]
    if unknown:
        raise fail(f"unknown check(s) {', '.join(unknown)} (known: {', '.join(CHECK_NAMES)})")
    try:
        project = load()
    except AccordError as exc:
        raise fail(str(exc)) from None
    ref = against or default_ref(project.root)
    skip = frozenset({"tests"} if skip_tests else set())
    show = None if as_json else _progress
    rows = run_gate(
        checks(project, ref, only=names, osv_dir=osv_dir),
        root=project.root,
        logs=project.home / "gate",
        skip=skip,
        on_row=show,
    )
    passed = gate_passed(rows)
    if as_json:
        data = {"passed": passed, "against": ref, "rows": msgspec.to_builtins(rows)}
        typer.echo(json.dumps(data, indent=2))
    else:
        _table(rows, ref, passed)
    raise typer.Exit(0 if passed else 1)


def _progress(row: Row) -> None:
    typer.echo(f"  {row.name}: {row.status} ({row.seconds:.1f} s)", err=True)


def _table(rows: list[Row], ref: str, passed: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"release gate (against {ref})", title_justify="left")
    table.add_column("check")
    table.add_column("result")
    table.add_column("time", justify="right")
    table.add_column("detail", overflow="fold")
    for row in rows:
        style = _STYLE.get(row.status.value, "")
        status = f"[{style}]{row.status.value}[/]" if style else row.status.value
        table.add_row(row.title, status, f"{row.seconds:.1f} s", row.detail)
    console = Console(highlight=False, width=160)
    console.print(table)
    verdict = "[green]gate passed[/]" if passed else "[bold red]gate failed[/]"
    console.print(verdict)


def register(app: typer.Typer) -> None:
    """Add ``accord release gate`` (to the ``release`` group, registered before it)."""
    from accord.cli.release import release_app

    release_app.command("gate")(gate_command)
