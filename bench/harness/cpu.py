"""How much CPU the rest of the machine used while one measurement ran.

On a two-core machine with the server on one core and wrk on the other, any other busy
process takes time from one of them. :class:`Foreign` reads ``/proc`` before and after a
measurement and reports the CPU used by every process except the server, wrk and this
one, in cores (0.25 = a quarter of one core on average).
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass

__all__ = ["Foreign", "Usage"]

_HZ = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Usage:
    """CPU used during a measurement, in cores, besides the server's, wrk's and ours.

    ``other_cores``: other processes; ``irq_cores``: interrupts and soft interrupts, not
    charged to any process (loopback networking is mostly the benchmark's own traffic);
    ``steal_cores``: time the hypervisor gave to other machines.
    """

    other_cores: float
    irq_cores: float
    steal_cores: float


def _system() -> tuple[float, float, float]:
    """(process, interrupt, steal) seconds of every core since boot, from ``/proc/stat``."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system) / _HZ, (irq + softirq) / _HZ, steal / _HZ


def _process(pid: int) -> float:
    """User + system seconds of ``pid`` and all its threads (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _HZ


def _own() -> float:
    """CPU seconds of this process and of its reaped children (wrk, once waited for)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


class Foreign:
    """Start it before a measurement, :meth:`stop` it after (wrk reaped by then)."""

    def __init__(self, server_pid: int) -> None:
        self._pid = server_pid
        self._wall = time.monotonic()
        self._busy, self._irq, self._steal = _system()
        self._server = _process(server_pid)
        self._own = _own()

    def stop(self) -> Usage:
        """CPU used by everyone else since the start, in cores."""
        wall = max(time.monotonic() - self._wall, 1e-9)
        busy, irq, steal = _system()
        ours = (_process(self._pid) - self._server) + (_own() - self._own)
        other = max(0.0, (busy - self._busy) - ours)
        return Usage(
            round(other / wall, 3),
            round((irq - self._irq) / wall, 3),
            round((steal - self._steal) / wall, 3),
        )
