"""``accord contracts``: the OpenAPI documents of the project's contracts.

::

    accord contracts export [--out DIR] [--check]   # one <name>.v<major>.openapi.json each
    accord contracts show SERVICE                   # one document on stdout

The contracts are those ``accord.toml`` lists; the project's folder is put on the import
path first, so its packages import without being installed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer

from accord.cli import fail
from accord.contract import Contract
from accord.errors import AccordError
from accord.project import Project, import_object, load

__all__ = ["register"]

contracts_app = typer.Typer(
    name="contracts",
    help="Export and show the OpenAPI documents of the project's contracts.",
    no_args_is_help=True,
)


@contracts_app.command("export")
def export_command(
    out: Path | None = typer.Option(
        None, "--out", help="Folder to write into (default: the project's contracts_dir)."
    ),
    check: bool = typer.Option(
        False, "--check", help="Write nothing; exit 1 if a file differs from the code."
    ),
) -> None:
    """Write one OpenAPI 3.1 document per contract, or check that they are up to date."""
    from accord import openapi

    project, contracts = _load()
    folder = out if out is not None else project.contracts_dir
    try:
        if check:
            stale = [
                folder / name
                for name, data in openapi.rendered(contracts).items()
                if not _same(folder / name, data)
            ]
            for path in stale:
                typer.echo(f"{'differs' if path.exists() else 'missing'}: {_shown(path)}")
            if stale:
                again = "accord contracts export" + (f" --out {out}" if out is not None else "")
                raise fail(f"{len(stale)} contract document(s) out of date; run `{again}`", code=1)
            typer.echo(f"up to date: {len(contracts)} contract document(s) in {_shown(folder)}")
            return
        for path in openapi.export(contracts, folder):
            typer.echo(f"wrote {_shown(path)}")
    except (AccordError, OSError) as exc:
        raise fail(_one_line(exc)) from None


@contracts_app.command("show")
def show_command(
    service: str = typer.Argument(..., help="A service name (orders) or name.vMAJOR (orders.v1)."),
) -> None:
    """Print one contract's OpenAPI document."""
    from accord import openapi

    _, contracts = _load()
    matches = [
        c
        for c in contracts
        if service in (c.name, openapi.filename(c).removesuffix(".openapi.json"))
    ]
    if not matches:
        known = ", ".join(sorted({c.name for c in contracts})) or "none"
        raise fail(f"no contract named {service!r} (known: {known})")
    if len(matches) > 1:
        options = ", ".join(openapi.filename(c).removesuffix(".openapi.json") for c in matches)
        raise fail(f"{service!r} has several major versions; pick one of {options}")
    try:
        data = openapi.render(matches[0])
    except AccordError as exc:
        raise fail(_one_line(exc)) from None
    typer.echo(data.decode("utf-8"), nl=False)


def register(app: typer.Typer) -> None:
    """Add ``accord contracts`` to the accord CLI."""
    app.add_typer(contracts_app, name="contracts")


def _load() -> tuple[Project, list[type[Contract]]]:
    """The project and every contract class it lists; a bad one ends the command."""
    try:
        project = load()
    except AccordError as exc:
        raise fail(_one_line(exc)) from None
    if str(project.root) not in sys.path:
        sys.path.insert(0, str(project.root))
    found: list[type[Contract]] = []
    for spec in project.services.values():
        for ref in spec.contracts:
            obj = _import(ref)
            if not (isinstance(obj, type) and issubclass(obj, Contract)):
                raise fail(f"{ref} (service {spec.name}) is not a Contract subclass")
            if obj not in found:
                found.append(obj)
    return project, found


def _import(ref: str) -> Any:
    try:
        return import_object(ref)
    except AccordError as exc:
        raise fail(_one_line(exc)) from None
    except Exception as exc:  # an error raised while the contract module runs
        raise fail(f"cannot load {ref}: {type(exc).__name__}: {_one_line(exc)}") from None


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except FileNotFoundError:
        return False


def _shown(path: Path) -> str:
    """``path`` relative to the working folder when it is inside it."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


def _one_line(exc: BaseException) -> str:
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
