"""``accord traces``: the traces the services wrote, as a list or as a waterfall.

::

    accord traces                      # the last 10 traces
    accord traces --last 50
    accord traces 4bf92f35             # one trace as a waterfall (a unique prefix will do)
    accord traces 4bf92f35 --json      # its spans as JSON
    accord traces --dir /tmp/spans     # another folder of *.jsonl span files

The folder defaults to ``<project home>/telemetry`` when an ``accord.toml`` is found at or
above the working directory, else ``.accord/telemetry``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.console import Console

from accord import project
from accord.cli.exits import fail
from accord.observability.otlp_json import SpanRecord
from accord.observability.waterfall import Scan, render_traces, render_waterfall, scan, traces

__all__ = ["register", "traces_command"]

#: The shortest trace id prefix accepted.
MIN_PREFIX = 8

_HEX = re.compile(r"^[0-9a-f]+$")


def register(app: typer.Typer) -> None:
    """Add the command to the accord CLI."""
    from accord.cli import _help

    app.command("traces", rich_help_panel=_help.OPERATE)(traces_command)


def traces_command(
    trace_id: Annotated[
        str | None,
        typer.Argument(
            help="A trace id, or a unique prefix of at least 8 hex digits.",
            metavar="TRACE_ID",
            show_default=False,
        ),
    ] = None,
    last: Annotated[int, typer.Option("--last", "-n", min=1, help="How many traces to list.")] = 10,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="Folder of *.jsonl span files (default: <project home>/telemetry).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List recent traces, or show one trace as a waterfall.

    A trace id is in the x-correlation-id header of every answer (when the caller sent
    none) and in the trace_id of every problem; its first 8 characters are enough.

    Example: accord traces 4bf92f35
    """
    prefix = _prefix(trace_id) if trace_id is not None else None
    folder = directory if directory is not None else default_folder()
    found = _read(folder)
    if prefix is None:
        summaries = traces(found.spans)[:last]
        if as_json:
            _print_json(summaries)
        else:
            Console().print(render_traces(summaries))
        return
    spans = _one_trace(found.spans, prefix, folder)
    if as_json:
        _print_json(sorted(spans, key=lambda s: (s.start_ns, s.span_id)))
    else:
        Console().print(render_waterfall(spans))


def default_folder() -> Path:
    """``<home>/telemetry`` of the nearest ``accord.toml``, else ``.accord/telemetry``."""
    try:
        path = project.find()
    except project.ProjectError:
        return Path(".accord") / "telemetry"
    return project.load(path).home / "telemetry"


def _read(folder: Path) -> Scan:
    found = scan(folder)
    if found.skipped:
        lines = "line" if found.skipped == 1 else "lines"
        typer.echo(f"accord: skipped {found.skipped} unreadable {lines} in {folder}", err=True)
    if not found.files:
        raise fail(f"no trace files in {folder} (services write them while they run)", 1)
    if not found.spans:
        raise fail(f"no spans in the trace files in {folder}", 1)
    return found


def _prefix(wanted: str) -> str:
    prefix = wanted.strip().lower()
    if not _HEX.match(prefix) or not MIN_PREFIX <= len(prefix) <= 32:
        raise fail(f"{wanted!r} is not a trace id: give {MIN_PREFIX} to 32 hex digits", 2)
    return prefix


def _one_trace(spans: list[SpanRecord], prefix: str, folder: Path) -> list[SpanRecord]:
    ids = sorted({s.trace_id for s in spans if s.trace_id.startswith(prefix)})
    if not ids:
        raise fail(f"no trace {prefix} in {folder}", 1)
    if len(ids) > 1:
        raise fail(f"{prefix} matches {len(ids)} traces; give more digits", 2)
    return [s for s in spans if s.trace_id == ids[0]]


def _print_json(value: Any) -> None:
    sys.stdout.buffer.write(msgspec.json.encode(value) + b"\n")
    sys.stdout.buffer.flush()
