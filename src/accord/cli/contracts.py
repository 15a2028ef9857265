"""``accord contracts``: the OpenAPI documents of the project's contracts.

::

    accord contracts export [--out DIR] [--check]   # one <name>.v<major>.openapi.json each
    accord contracts show SERVICE                   # one document on stdout
    accord contracts diff BASE REVISION             # breaking changes between two documents
    accord contracts check [--against REF]          # the code against the published documents

The contracts are those ``accord.toml`` lists; the project's folder is put on the import
path first, so its packages import without being installed.
"""

from __future__ import annotations

import enum
import os
import sys
from pathlib import Path
from typing import Any

import typer

from accord.cli.exits import fail
from accord.contract import Contract
from accord.errors import AccordError
from accord.project import Project, import_object, load

__all__ = ["register"]

contracts_app = typer.Typer(
    name="contracts",
    help="Export, show, diff and check the OpenAPI documents of the project's contracts.",
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
    """Write one OpenAPI 3.1 document per contract, or check that they are up to date.

    Example: accord contracts export --check
    """
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
    service: str = typer.Argument(
        ..., help="A contract name (billing) or name.vMAJOR (billing.v1)."
    ),
) -> None:
    """Print one contract's OpenAPI document.

    Example: accord contracts show orders.v2
    """
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


class Format(enum.StrEnum):
    """How ``diff`` and ``check`` print their findings."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


class FailOn(enum.StrEnum):
    """The lowest level of finding that makes ``diff`` exit 1."""

    BREAKING = "breaking"
    WARNING = "warning"


@contracts_app.command("diff")
def diff_command(
    base: Path = typer.Argument(
        ..., help="The published document (OpenAPI 3.0/3.1, JSON or YAML)."
    ),
    revision: Path = typer.Argument(..., help="The document to compare with it."),
    output: Format = typer.Option(Format.TEXT, "--format", help="text, json or markdown."),
    fail_on: FailOn = typer.Option(
        FailOn.BREAKING, "--fail-on", help="Exit 1 on findings of this level or worse."
    ),
) -> None:
    """Report every change from BASE to REVISION, judged by who reads it.

    Exit 0 when nothing is at or above --fail-on, 1 when something is, 2 when a
    document cannot be read.

    Example: accord contracts diff old/orders.v1.openapi.json contracts/orders.v1.openapi.json
    """
    from accord import compat

    try:
        changes = compat.diff(compat.load(base), compat.load(revision))
    except compat.SpecError as exc:
        raise fail(_one_line(exc)) from None
    _print(changes, output, title=f"{base.name} → {revision.name}")
    if compat.at_or_above(changes, compat.Level(fail_on.value)):
        raise typer.Exit(1)


@contracts_app.command("check")
def check_command(
    against: str | None = typer.Option(
        None,
        "--against",
        help="Compare with the documents at this git ref instead of the committed files.",
    ),
    output: Format = typer.Option(Format.TEXT, "--format", help="text, json or markdown."),
) -> None:
    """Regenerate the contracts from code and diff them with the published documents.

    Fails (exit 1) on a breaking change within a major version, and warns when a
    document changed without a minor version bump.

    Example: accord contracts check --against main
    """
    from accord import compat, openapi

    project, contracts = _load()
    folder = project.contracts_dir
    try:
        generated = openapi.rendered(contracts)
        if against is None:
            label = _shown(folder)
            committed = {p.name: p.read_bytes() for p in sorted(folder.glob("*.openapi.json"))}
        else:
            label = against
            committed = compat.documents_at(project.root, against, folder)
        verdicts = compat.check_documents(committed, generated, base_label=label)
    except (AccordError, OSError) as exc:
        raise fail(_one_line(exc)) from None
    if output is Format.JSON:
        import json

        import msgspec

        data = {v.file: msgspec.to_builtins(v.changes) for v in verdicts}
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    for verdict in verdicts:
        _print_verdict(verdict, output)
    broken = _check_settings(project, against)
    failed = [v.file for v in verdicts if v.failed]
    if failed:
        raise fail(
            f"{len(failed)} contract document(s) break their clients: {', '.join(failed)}", code=1
        )
    if broken:
        raise fail(f"{len(broken)} breaking change(s) in configuration schemas", code=1)
    typer.echo(f"compatible with {label}: {len(verdicts)} contract document(s)", err=True)


def _check_settings(project: Project, against: str | None) -> list[str]:
    """Each breaking change of a service's settings schema within its major version."""
    from accord import compat
    from accord.config import schema
    from accord.config.files import Layout

    folder = Layout.from_env(start=project.root).schemas()
    generated = {}
    for name, spec in project.services.items():
        if spec.settings:
            cls = _import(spec.settings)
            generated[schema.filename(name, cls)] = schema.render(name, cls)
    try:
        if against is None:
            committed = {p.name: p.read_bytes() for p in sorted(folder.glob("*.json"))}
        elif folder.is_dir():
            committed = compat.documents_at(project.root, against, folder, suffix=".json")
        else:
            committed = {}
    except (AccordError, OSError) as exc:
        raise fail(_one_line(exc)) from None
    broken = schema.check(committed, generated)
    for line in broken:
        typer.echo(f"error: config/schemas/{line}", err=True)
    return broken


def _print(changes: Any, output: Format, *, title: str) -> None:
    from rich.console import Console

    from accord import compat

    if output is Format.JSON:
        typer.echo(compat.to_json(changes), nl=False)
    elif output is Format.MARKDOWN:
        typer.echo(compat.to_markdown(changes, title=title), nl=False)
    else:
        compat.write_text(changes, Console(highlight=False))


def _print_verdict(verdict: Any, output: Format) -> None:
    if output is Format.TEXT:
        typer.echo(f"{'FAIL' if verdict.failed else 'ok'}: {verdict.file}")
    if verdict.changes and output is not Format.JSON:
        _print(verdict.changes, output, title=verdict.file)
    for note in verdict.notes:
        typer.echo(f"  {verdict.file}: {note}", err=True)
    for warning in verdict.warnings:
        typer.echo(f"warning: {verdict.file}: {warning}", err=True)
    for failure in verdict.failures:
        typer.echo(f"error: {verdict.file}: {failure}", err=True)


def register(app: typer.Typer) -> None:
    """Add ``accord contracts`` to the accord CLI."""
    from accord.cli import _help

    app.add_typer(contracts_app, name="contracts", rich_help_panel=_help.CONTRACTS)


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
