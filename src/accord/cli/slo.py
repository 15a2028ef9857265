"""``accord slo``: the services' objectives, where they stand, and their alert rules.

::

    accord slo status [SERVICE] [--json] [--interval S]  # SLI, budget left, burn rate
    accord slo rules [--out DIR] [--check]              # Prometheus rules, or check them

The objectives are those ``accord.toml`` registers (``slos = "pkg.module:SLOS"``).
"""

from __future__ import annotations

import os
import ssl
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import msgspec
import typer

from accord.cli.exits import fail
from accord.errors import AccordError

if TYPE_CHECKING:
    from accord.slo.registry import ServiceObjectives
    from accord.slo.sli import Counts
    from accord.slo.status import ObjectiveStatus

__all__ = ["register"]

#: Where the rule files go unless ``--out`` says, under the project's folder.
DEFAULT_RULES = Path("deploy/prometheus/rules")

slo_app = typer.Typer(
    name="slo",
    help="Service-level objectives: where they stand, and their Prometheus alert rules.",
    no_args_is_help=True,
)


def _services(only: str | None) -> list[ServiceObjectives]:
    from accord.project import load
    from accord.slo.registry import load_objectives

    project = load()
    root = str(project.root)
    if root not in sys.path:
        sys.path.insert(0, root)
    return load_objectives(project, only)


@slo_app.command("status")
def status_command(
    service: Annotated[str | None, typer.Argument(help="One service (default: all).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: one list.")] = False,
    interval: Annotated[
        float,
        typer.Option(
            "--interval", help="Seconds between two scrapes for the burn rate (0: since start)."
        ),
    ] = 0.0,
) -> None:
    """Read each service's /metrics and print, per objective, the SLI, budget and burn.

    The services are found where `accord up` runs them (its run file), else at their
    addresses in accord.toml. A service that cannot be read is named in one line; the
    others are still shown, and the exit code is then 1.

    Example: accord slo status orders
    """
    if interval < 0:
        raise fail("--interval must not be negative")
    from accord.project import load
    from accord.supervisor import read_run_file

    try:
        services = _services(service)
        urls = read_run_file(load().home) or {}
    except AccordError as exc:
        raise fail(" ".join(str(exc).split())) from None
    rows, problems = _measure(services, urls, interval)
    for problem in problems:
        typer.echo(f"accord: {problem}", err=True)
    if as_json:
        typer.echo(msgspec.json.encode(rows).decode())
    elif rows:
        _table(rows)
    if problems:
        raise typer.Exit(1)


def _verify(service: str, url: str | None) -> ssl.SSLContext | bool:
    """Over mutual TLS (``accord up``'s default): the supervisor's certificate, and only
    ``service``'s accepted."""
    if not url or not url.startswith("https://"):
        return True
    from accord.project import load
    from accord.security.tls import SUPERVISOR, TLSConfig, client_context

    return client_context(TLSConfig(load().home / "certs", SUPERVISOR), service)


def _measure(
    services: list[ServiceObjectives], urls: dict[str, str], interval: float
) -> tuple[list[ObjectiveStatus], list[str]]:
    from accord.slo.scrape import scrape
    from accord.slo.status import statuses

    problems: list[str] = []

    def read(s: ServiceObjectives) -> dict[str, Counts] | None:
        try:
            url = urls.get(s.service)
            return scrape(s, url=url, verify=_verify(s.service, url))
        except AccordError as exc:
            problems.append(" ".join(str(exc).split()))
            return None

    first = {s.service: read(s) for s in services} if interval else {}
    if interval:
        time.sleep(interval)
    rows: list[ObjectiveStatus] = []
    for s in services:
        if interval and first.get(s.service) is None:
            continue
        now = read(s)
        if now is not None:
            rows.extend(statuses(s, now, first.get(s.service), interval))
    return rows, problems


def _table(rows: list[ObjectiveStatus]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Service-level objectives")
    for column in ("service", "objective", "scope", "target", "requests", "bad", "SLI"):
        table.add_column(column, justify="right" if column in ("requests", "bad") else "left")
    table.add_column("budget left", justify="right")
    table.add_column("burn rate", justify="right")
    for r in rows:
        table.add_row(
            r.service,
            r.objective,
            r.scope,
            f"{r.target * 100:.4g}% / {r.window_days:g}d",
            str(r.requests),
            "-" if r.bad is None else str(r.bad),
            "-" if r.sli is None else f"{r.sli * 100:.3f}%",
            "-" if r.budget_left is None else f"{r.budget_left * 100:.1f}%",
            "-" if r.burn_rate is None else f"{r.burn_rate:.2f}x ({r.burn_over})",
        )
    Console(width=max(140, int(os.environ.get("COLUMNS", "0") or 0))).print(table)


@slo_app.command("rules")
def rules_command(
    out: Annotated[
        Path | None,
        typer.Option("--out", help=f"Folder of the rule files (default: {DEFAULT_RULES})."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if a file differs.")
    ] = False,
) -> None:
    """Write Prometheus recording rules and burn-rate alerts, one file per service.

    Example: accord slo rules --check
    """
    from accord.project import load
    from accord.slo import rules

    try:
        folder = out if out is not None else load().root / DEFAULT_RULES
        services = _services(None)
        if not check:
            for path in rules.write(services, folder):
                typer.echo(f"wrote {path}")
            return
        expected = rules.rule_files(services)
        stale = [
            f"differs: {folder / name}"
            for name, text in expected.items()
            if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text
        ]
        stale += [
            f"not generated: {path}"
            for path in sorted(folder.glob("*.rules.yml"))
            if path.name not in expected
        ]
    except (AccordError, OSError) as exc:
        raise fail(" ".join(str(exc).split())) from None
    for line in stale:
        typer.echo(line)
    if stale:
        raise fail(f"{len(stale)} rule file(s) out of date; run `accord slo rules`", code=1)
    typer.echo(f"up to date: {len(expected)} rule file(s) in {folder}")


def register(app: typer.Typer) -> None:
    """Add ``slo`` to the accord CLI."""
    from accord.cli import _help

    app.add_typer(slo_app, rich_help_panel=_help.OPERATE)
