"""Telling the CPU of the measured server apart from everybody else's."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.harness import cpu


def test_server_cpu_is_not_counted_as_foreign() -> None:
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        before, started = _cpu_seconds(spinner.pid), time.monotonic()
        as_server = cpu.Foreign(spinner.pid)
        as_other = cpu.Foreign(idle.pid)
        # Wait for the spinner to have used a whole CPU second, however long a busy
        # machine takes to give it one (bounded against a hang, not a speed).
        while _cpu_seconds(spinner.pid) - before < 1.0 and time.monotonic() - started < 90:
            time.sleep(0.05)
        excluded = as_server.stop()
        counted = as_other.stop()
        wall = time.monotonic() - started
        spun = _cpu_seconds(spinner.pid) - before
    finally:
        for proc in (spinner, idle):
            proc.kill()
            proc.wait()
    assert spun >= 1.0, "the spinner never got a CPU second"
    # The same interval: the only difference is whose the spinner's CPU counts as. In CPU
    # seconds, within a few clock ticks of the readings at either end.
    difference = (counted.other_cores - excluded.other_cores) * wall
    assert abs(difference - spun) < 0.15, (difference, spun)
    assert excluded.steal_cores >= 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks
