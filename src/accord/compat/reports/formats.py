"""The three ways a list of changes is shown: text (grouped, in colour on a terminal),
JSON (for tools) and Markdown (for a pull-request comment)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from itertools import groupby

import msgspec
from rich.console import Console
from rich.markup import escape

from accord.compat.types import Change, Level

__all__ = ["at_or_above", "summary", "to_json", "to_markdown", "write_text"]

_STYLE = {Level.BREAKING: "bold red", Level.WARNING: "yellow", Level.INFO: "dim"}
_DOCUMENT = "(document)"


def at_or_above(changes: Iterable[Change], threshold: Level) -> list[Change]:
    """The changes whose level is ``threshold`` or more serious."""
    return [c for c in changes if c.level.rank >= threshold.rank]


def summary(changes: Sequence[Change]) -> str:
    """``2 breaking, 0 warning, 5 info``."""
    counts = {level: 0 for level in Level}
    for c in changes:
        counts[c.level] += 1
    return ", ".join(f"{counts[level]} {level.value}" for level in Level)


def to_json(changes: Sequence[Change]) -> str:
    """A JSON list of ``{id, level, operation, path, location, message}``, 2-space indent."""
    data = msgspec.to_builtins(list(changes))
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_text(changes: Sequence[Change], console: Console) -> None:
    """Print the changes grouped by operation; colours only when ``console`` is a terminal."""
    if not changes:
        console.print("no changes")
        return
    for operation, group in groupby(changes, key=lambda c: c.operation):
        console.print(f"[bold]{escape(operation or _DOCUMENT)}[/bold]")
        for c in group:
            where = c.location + ("" if c.path == "$" else f" {c.path}")
            console.print(
                f"  [{_STYLE[c.level]}]{c.level.value:<8}[/] {escape(c.id)}  "
                f"{escape(where)}: {escape(c.message)}",
                soft_wrap=True,
            )
    console.print(summary(changes))


def to_markdown(changes: Sequence[Change], *, title: str = "API changes") -> str:
    """A Markdown report: a summary line, then one table per operation."""
    lines = [f"### {title}", "", f"**{summary(changes)}**", ""]
    if not changes:
        lines.append("No changes.")
    for operation, group in groupby(changes, key=lambda c: c.operation):
        lines += [f"#### `{operation or _DOCUMENT}`", "", "| level | rule | where | change |"]
        lines.append("|---|---|---|---|")
        for c in group:
            where = c.location + ("" if c.path == "$" else f" `{c.path}`")
            lines.append(f"| {c.level.value} | `{c.id}` | {_cell(where)} | {_cell(c.message)} |")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
