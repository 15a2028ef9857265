"""`accord`'s help, read as a user reads it: the real command in a real process."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.support.processes import ROOT

_LIST = """
import typer.main
from accord.cli import commands
commands._register([])

def walk(command, prefix):
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        if getattr(sub, "commands", None):
            yield from walk(sub, [*prefix, name])
        elif not sub.hidden:
            yield " ".join([*prefix, name])

print("\\n".join(walk(typer.main.get_command(commands.app), [])))
"""


def every_command() -> list[str]:
    """Every command and sub-command the CLI has, as typed (read from the app itself, so a
    new command cannot be missed here)."""
    out = subprocess.run(
        [sys.executable, "-c", _LIST], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.splitlines()


COMMANDS = every_command()


def accord(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run(
        [sys.executable, "-m", "accord", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_list_is_the_whole_cli() -> None:
    assert {"up", "serve", "config show", "flags rollout", "rollback", "deploy render"} <= set(
        COMMANDS
    )
    assert len(COMMANDS) >= 40, COMMANDS


def test_version_and_short_help() -> None:
    from accord import __version__

    version = accord("--version")
    assert (version.returncode, version.stdout) == (0, f"accord {__version__}\n")
    short = accord("-h")
    assert short.returncode == 0
    assert short.stdout == accord("--help").stdout


def test_commands_are_grouped_in_panels_in_order() -> None:
    text = accord("-h").stdout
    panels = re.findall(r"╭─ (\w+) ─", text)
    assert panels == ["Options", "Run", "Operate", "Contracts", "Security"], panels
    run = text[text.index("─ Run ─") : text.index("─ Operate ─")]
    assert [w for w in ("up", "down", "serve", "demo") if f"│ {w} " in run] == [
        "up",
        "down",
        "serve",
        "demo",
    ]
    # One-line summaries: chaos's is not cut in the middle of a sentence.
    chaos = next(line for line in text.splitlines() if "│ chaos " in line)
    assert chaos.rstrip("│ ").endswith("."), chaos


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_an_example_and_plain_flags(command: str) -> None:
    result = accord(*command.split(), "-h")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert f"Example: accord {command}" in " ".join(text.split()), text
    assert "<bool>" not in text
    assert "--no-" not in text
    assert not re.search(r"\{[A-Za-z:_]+\}", text), text  # no {base}, {MODULE:FACTORY}


def test_arguments_are_named_in_capitals() -> None:
    assert (
        "Usage: accord contracts diff [OPTIONS] BASE REVISION"
        in accord("contracts", "diff", "-h").stdout
    )
    assert "Usage: accord serve [OPTIONS] MODULE:FACTORY" in accord("serve", "-h").stdout
    assert "Usage: accord traces [OPTIONS] [TRACE_ID]" in accord("traces", "-h").stdout


def test_a_flag_takes_no_value() -> None:
    result = accord("up", "--raw", "true")
    assert result.returncode == 2
    assert "true" in result.stderr
    assert "Traceback" not in result.stderr


def test_paragraphs_are_reflowed_not_cut_where_the_source_wraps() -> None:
    env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1", "TERM": "dumb"}
    text = subprocess.run(
        [sys.executable, "-m", "accord", "chaos", "-h"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    lines = [line.strip() for line in text.splitlines()]
    assert any(
        line.startswith("Starts its own copy of the project's services")
        and line.endswith("Exits 1 when a promise was broken.")
        for line in lines
    ), text
