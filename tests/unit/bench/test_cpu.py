"""Telling the CPU of the measured server apart from everybody else's."""

from __future__ import annotations

import subprocess
import sys
import time

from bench.harness import cpu


def test_server_cpu_is_not_counted_as_foreign() -> None:
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        as_server = cpu.Foreign(spinner.pid)
        as_other = cpu.Foreign(idle.pid)
        time.sleep(1.5)
        excluded = as_server.stop()
        counted = as_other.stop()
    finally:
        for proc in (spinner, idle):
            proc.kill()
            proc.wait()
    # The same interval: the only difference is whose CPU the spinner's core counts as.
    assert counted.other_cores - excluded.other_cores > 0.7
    assert counted.other_cores > 0.7
    assert excluded.steal_cores >= 0
