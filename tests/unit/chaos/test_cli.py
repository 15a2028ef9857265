"""`accord chaos` refuses bad flags in one line, with exit status 2, before starting anything."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.processes import ROOT


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--duration", "abc"], "accord: --duration takes a number of at least 10, got 'abc'"),
        (["--duration", "3"], "accord: --duration takes a number of at least 10, got '3'"),
        (["--seed", "-1"], "accord: --seed takes an integer of at least 0, got '-1'"),
        (["--seed", "1.5"], "accord: --seed takes an integer of at least 0, got '1.5'"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "accord", "chaos", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == message
    assert done.stdout == ""
