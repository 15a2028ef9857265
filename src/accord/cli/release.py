"""``accord release``: immutable builds of a service, and the expand/contract check.

::

    accord release build SERVICE [--ref GIT_REF]          # prints the version id
    accord release list [SERVICE] [--json]
    accord release check SERVICE VERSION [--against VERSION]

Releases live under ``<home>/releases/<service>/<version>/`` (docs/release.md).
"""

from __future__ import annotations

from typing import Annotated

import msgspec
import typer

from accord.cli.exits import fail
from accord.errors import AccordError

__all__ = ["register"]

release_app = typer.Typer(
    name="release",
    help="Build immutable releases of a service, list them, check their migrations.",
    no_args_is_help=True,
)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


@release_app.command("build")
def build_command(
    service: Annotated[str, typer.Argument(help="A service of accord.toml.")],
    ref: Annotated[str, typer.Option("--ref", help="The git commit to build.")] = "HEAD",
) -> None:
    """Build SERVICE as committed at REF into its own environment; print the version id.

    Example: accord release build orders
    """
    from accord.project import load
    from accord.release.build import build

    try:
        project = load()
        typer.echo(f"building {service} at {ref} …", err=True)
        release = build(project, service, ref=ref)
    except (AccordError, OSError) as exc:
        raise fail(_one_line(exc)) from None
    typer.echo(f"built {release.path}", err=True)
    typer.echo(release.version)


@release_app.command("list")
def list_command(
    service: Annotated[str | None, typer.Argument(help="Only this service.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: one list.")] = False,
) -> None:
    """Every release built, oldest first.

    Example: accord release list orders
    """
    from accord.project import load
    from accord.release.store import listing

    try:
        releases = listing(load().home, service)
    except (AccordError, OSError) as exc:
        raise fail(_one_line(exc)) from None
    if as_json:
        rows = [{**msgspec.to_builtins(r.manifest), "path": str(r.path)} for r in releases]
        typer.echo(msgspec.json.encode(rows).decode())
        return
    if not releases:
        typer.echo("no releases built (accord release build SERVICE)")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Releases")
    for column in ("service", "version", "commit", "ref", "built"):
        table.add_column(column)
    for r in releases:
        m = r.manifest
        built = m.built_at.strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(m.service, m.version, m.commit[:12], m.ref, built)
    Console(width=120).print(table)


@release_app.command("check")
def check_command(
    service: Annotated[str, typer.Argument(help="A service with releases.")],
    version: Annotated[str, typer.Argument(help="The candidate's version id.")],
    against: Annotated[
        str | None,
        typer.Option("--against", help="The stable version (default: the newest earlier build)."),
    ] = None,
) -> None:
    """Refuse a candidate whose new migrations drop or rename a table or column.

    Example: accord release check orders 3f2a9c1e
    """
    from accord.project import load
    from accord.release.check import check, default_baseline
    from accord.release.store import find

    try:
        home = load().home
        candidate = find(home, service, version)
        baseline = find(home, service, against) if against else default_baseline(home, candidate)
        result = check(candidate, baseline)
    except (AccordError, OSError) as exc:
        raise fail(_one_line(exc)) from None
    base = f"against {baseline.version}" if baseline else "no earlier release"
    if not result.safe:
        first = result.hazards[0]
        more = f" (and {len(result.hazards) - 1} more)" if len(result.hazards) > 1 else ""
        raise fail(
            f"refused: {service} {version} breaks expand/contract ({base}): {first}{more}",
            code=1,
        )
    typer.echo(f"ok: {service} {version}: {len(result.new)} new migration(s), expand only ({base})")


def register(app: typer.Typer) -> None:
    """Add ``release`` to the accord CLI."""
    from accord.cli import _help

    app.add_typer(release_app, rich_help_panel=_help.OPERATE)
