"""``accord audit``: check and read the audit trail (docs/audit.md).

::

    accord audit verify [PATH…]                # every chain intact? exit 1 at the first break
    accord audit tail [-n 20] [--follow] [--json]

Without paths, both read every ``<project home>/audit/*.jsonl`` (``--home`` overrides the
home of the nearest ``accord.toml``). The commands that change security-relevant state
(``accord keys``, ``certs``, ``flags``, ``rollout``) report through :func:`record`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from accord import project
from accord.audit import AuditTrail, audit_files, operator, read_records, verify_file
from accord.cli import _help
from accord.cli.exits import fail

__all__ = ["OPERATOR_TRAIL", "record", "register"]

#: The trail commands run by hand write to: ``<home>/audit/operator.jsonl``.
OPERATOR_TRAIL = "operator"

audit_app = typer.Typer(
    name="audit",
    help="Verify and read the audit trail (chained JSON lines under the project home).",
    no_args_is_help=True,
)

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="Project home (default: from accord.toml).", show_default=False),
]


def register(app: typer.Typer) -> None:
    """Add the ``audit`` group to the accord CLI."""
    app.add_typer(audit_app, rich_help_panel=_help.SECURITY)


def _project_home() -> Path | None:
    try:
        return project.load().home
    except project.ProjectError:
        env = os.environ.get("ACCORD_HOME")
        return Path(env) if env else None


def record(
    action: str,
    *,
    target: str,
    outcome: str = "success",
    details: Mapping[str, Any] | None = None,
    home: Path | None = None,
) -> None:
    """Write one operator event to ``<home>/audit/operator.jsonl`` before returning.

    ``home`` defaults to the project home (``$ACCORD_HOME`` without an ``accord.toml``);
    with neither, ``.accord`` of the working directory. A trail that cannot be written
    is said in one line on stderr; the command's own work is already done.
    """
    where = home or _project_home() or Path(".accord")
    trail = AuditTrail.under(where, OPERATOR_TRAIL)
    try:
        trail.record(action, actor=operator(), target=target, outcome=outcome, details=details)
    finally:
        trail.close()


def _files(paths: list[Path] | None, home: Path | None) -> list[Path]:
    if paths:
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise fail(f"no such audit file: {', '.join(missing)}")
        return paths
    where = home or _project_home()
    if where is None:
        raise fail("no accord.toml here or above (give PATH or --home)")
    return audit_files(where)


@audit_app.command("verify")
def verify_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Audit files (default: every file of the project).", metavar="PATH"),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Check each file's hash chain; name the first broken record (file:line) and exit 1.

    Example: accord audit verify
    """
    files = _files(paths, home)
    if not files:
        typer.echo("no audit files yet")
        return
    broken = 0
    for path in files:
        try:
            report = verify_file(path)
        except OSError as exc:
            raise fail(f"{path}: {exc.strerror or exc}") from None
        if report.broken is not None:
            broken += 1
            typer.echo(f"BROKEN {report.broken} (after {report.records} intact record(s))")
        else:
            typer.echo(f"ok     {path}: {report.records} record(s), chain intact")
    if broken:
        raise typer.Exit(1)


def _line(record: dict[str, Any]) -> str:
    details = " ".join(f"{k}={v}" for k, v in sorted(record.get("details", {}).items()))
    return (
        f"{record.get('time', '?')}  {record.get('file', '')}#{record.get('seq', '?')}  "
        f"{record.get('actor', '?')}  {record.get('action', '?')}  {record.get('target', '?')}"
        f"  {record.get('outcome', '?')}  {details}"
    ).rstrip()


def _show(records: list[dict[str, Any]], as_json: bool) -> None:
    for item in records:
        if as_json:
            typer.echo(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        else:
            typer.echo(_line(item))


@audit_app.command("tail")
def tail_command(
    lines: Annotated[int, typer.Option("-n", "--lines", min=0, help="Records shown.")] = 20,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new ones.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON record per line.")] = False,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Audit files (default: every file of the project).", metavar="PATH"),
    ] = None,
    home: HomeOption = None,
) -> None:
    """The last records of every audit file, oldest first (with ``--follow``, then new ones).

    Example: accord audit tail --follow
    """
    files = _files(paths, home)
    offsets: dict[Path, int] = {}
    found: list[dict[str, Any]] = []
    for path in files:
        records, offsets[path] = read_records(path)
        found.extend(records)
    found.sort(key=lambda r: str(r.get("time", "")))
    _show(found[-lines:] if lines else [], as_json)
    if not follow:
        return
    where = None if paths else (home or _project_home())
    try:
        while True:
            time.sleep(0.5)
            fresh: list[dict[str, Any]] = []
            for path in sorted(set(offsets) | set(audit_files(where) if where else [])):
                records, offsets[path] = read_records(path, offset=offsets.get(path, 0))
                fresh.extend(records)
            fresh.sort(key=lambda r: str(r.get("time", "")))
            _show(fresh, as_json)
    except KeyboardInterrupt:
        return
