"""Telling the CPU of the measured server apart from everybody else's."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.harness import cpu


def test_server_cpu_is_not_counted_as_foreign() -> None:
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(0.2)  # let the spinner get going
        before, started = _cpu_seconds(spinner.pid), time.monotonic()
        as_server = cpu.Foreign(spinner.pid)
        as_other = cpu.Foreign(idle.pid)
        time.sleep(1.5)
        excluded = as_server.stop()
        counted = as_other.stop()
        spun = (_cpu_seconds(spinner.pid) - before) / (time.monotonic() - started)
    finally:
        for proc in (spinner, idle):
            proc.kill()
            proc.wait()
    # The same interval: the only difference is whose the spinner's CPU counts as. How
    # much it got depends on the machine's load, so compare with what it really used.
    assert spun > 0.2, "the spinner hardly ran; the machine is too busy to tell"
    assert abs((counted.other_cores - excluded.other_cores) - spun) < 0.25
    assert excluded.steal_cores >= 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks
