"""``accord up``'s printer of the services' lines (accord.cli.running.printer): what
Rich printed before, written as strings, flushed once per turn of the event loop."""

from __future__ import annotations

import asyncio
import io
import json
import re

import pytest
from rich.console import Console
from rich.text import Text

from accord import project as projects
from accord.cli.running import printer

SERVICES = ("identity", "inventory", "payments", "orders")
REQUEST = json.dumps(
    {
        "ts": "2026-12-08T02:10:11.123456Z",
        "level": "info",
        "event": "request",
        "service": "inventory",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "method": "POST",
        "path": "/v1/reservations",
        "status": 201,
        "duration_ms": 3.412,
    }
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Flushes(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def _console(out: io.StringIO, *, terminal: bool) -> Console:
    return Console(
        file=out,
        highlight=False,
        emoji=False,
        force_terminal=terminal,
        color_system="standard" if terminal else None,
        width=80,
    )


def _rich(line: str, *, terminal: bool) -> str:
    """What ``accord up`` printed for ``line`` of inventory's with Rich (``--raw``)."""
    out = io.StringIO()
    _console(out, terminal=terminal).print(
        Text("inventory │ ", style="magenta") + Text(line), soft_wrap=True
    )
    return out.getvalue()


@pytest.fixture
def project() -> projects.Project:
    class Stub:
        services = SERVICES

    return Stub()  # type: ignore[return-value]


@pytest.mark.parametrize(
    "line",
    [
        REQUEST,
        "plain text, not JSON",
        "a bell\x07, a carriage return\r and a tab\there",
        "an escape \x1b[31mred\x1b[0m passes as Rich let it",
    ],
)
@pytest.mark.parametrize("terminal", [False, True], ids=["file", "terminal"])
def test_a_raw_line_is_written_as_rich_printed_it(
    project: projects.Project, line: str, terminal: bool
) -> None:
    out = io.StringIO()
    printer(project, _console(out, terminal=terminal), raw=True)("inventory", line)
    if terminal:  # the same text in the service's colour (Rich may split its codes)
        assert out.getvalue().startswith("\x1b[35minventory │ ")
        assert ANSI.sub("", out.getvalue()) == ANSI.sub("", _rich(line, terminal=True))
    else:
        assert out.getvalue() == _rich(line, terminal=False)
        assert "\x1b" not in out.getvalue() or "\x1b" in line


def test_a_request_line_is_made_readable(project: projects.Project) -> None:
    out = io.StringIO()
    printer(project, _console(out, terminal=False), raw=False)("inventory", REQUEST)
    assert out.getvalue() == (
        "inventory │ 02:10:11.123 info    POST /v1/reservations → 201 3.4 ms "
        "trace=4bf92f3577b34da6\n"
    )


def test_an_error_line_shows_its_fields_in_its_level_style(project: projects.Project) -> None:
    line = json.dumps(
        {"ts": "2026-12-08T02:10:11.123Z", "level": "error", "event": "boom", "sku": "A-1"}
    )
    plain, coloured = io.StringIO(), io.StringIO()
    printer(project, _console(plain, terminal=False), raw=False)("orders", line)
    printer(project, _console(coloured, terminal=True), raw=False)("orders", line)
    assert plain.getvalue() == "orders    │ 02:10:11.123 error   boom sku=A-1\n"
    assert "\x1b[1;31" in coloured.getvalue()  # bold red over the service's colour
    assert ANSI.sub("", coloured.getvalue()) == plain.getvalue()


@pytest.mark.anyio
async def test_lines_are_flushed_once_per_turn_of_the_loop(project: projects.Project) -> None:
    out = Flushes()
    on_line = printer(project, _console(out, terminal=False), raw=True)
    before = out.flushes
    for n in range(100):
        on_line("payments", f"line {n}")
    assert out.flushes == before
    await asyncio.sleep(0)
    assert out.flushes == before + 1
    lines = out.getvalue().splitlines()
    assert lines[0] == "payments  │ line 0" and lines[-1] == "payments  │ line 99"
    on_line("orders", "one more")
    await asyncio.sleep(0)
    assert out.flushes == before + 2


def test_without_a_loop_each_line_is_flushed_at_once(project: projects.Project) -> None:
    out = Flushes()
    on_line = printer(project, _console(out, terminal=False), raw=True)
    before = out.flushes
    on_line("identity", "alone")
    assert out.flushes == before + 1
    assert out.getvalue() == "identity  │ alone\n"
