"""The run file (``<home>/run.json``): the processes ``accord up`` started, each with its
start time, so that other commands find the running system, check that a pid is still
the process that was started, and stop it.

::

    {"pid": 4100, "started": "81234",
     "services": {"orders": {"url": "http://127.0.0.1:8101", "pid": 4120, "started": "81301"}}}

``started`` is :func:`accord.lifetime.started` of each pid: a pid that was reused by
another process never matches, so nothing but the recorded processes is ever signalled.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from accord import lifetime
from accord.errors import AccordError

__all__ = [
    "RUN_FILE",
    "AlreadyRunning",
    "Recorded",
    "RunRecord",
    "clear_stale",
    "read",
    "remove",
    "stop",
    "write",
]

RUN_FILE = "run.json"


@dataclass(frozen=True)
class Recorded:
    """One recorded process: its pid, its start-time token, and a service's URL."""

    name: str
    pid: int
    started: str | None
    url: str = ""

    def alive(self) -> bool:
        """Whether this very process still runs."""
        return lifetime.alive(self.pid, self.started)


@dataclass(frozen=True)
class RunRecord:
    """What a run file says: the supervisor and its services."""

    supervisor: Recorded
    services: Mapping[str, Recorded]

    def living_services(self) -> list[Recorded]:
        """The recorded services that still run."""
        return [svc for svc in self.services.values() if svc.alive()]


def write(
    home: Path,
    services: Mapping[str, Mapping[str, object]],
    *,
    extra: Mapping[str, object] | None = None,
) -> None:
    """Record this process as the supervisor of ``services`` (name → fields: ``url``,
    ``pid`` and any others); ``extra`` adds fields at the top."""
    me = os.getpid()
    data: dict[str, object] = {
        "pid": me,
        "started": lifetime.started(me),
        "services": {
            name: {**fields, "started": _started(fields.get("pid"))}
            for name, fields in services.items()
        },
        **(extra or {}),
    }
    path = home / RUN_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def _started(pid: object) -> str | None:
    return lifetime.started(pid) if isinstance(pid, int) and pid > 0 else None


def read(home: Path) -> RunRecord | None:
    """The run file of ``home``, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads((home / RUN_FILE).read_text(encoding="utf-8"))
        supervisor = Recorded("accord up", int(data["pid"]), data.get("started"))
        services = {
            str(name): Recorded(
                str(name), int(svc["pid"]), svc.get("started"), str(svc.get("url", ""))
            )
            for name, svc in data["services"].items()
            if svc.get("pid")
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return RunRecord(supervisor, services)


def remove(home: Path) -> None:
    """Delete the run file of ``home`` if there is one."""
    with contextlib.suppress(FileNotFoundError):
        (home / RUN_FILE).unlink()


def stop(record: RunRecord, *, timeout: float = 20.0) -> list[Recorded]:
    """Stop what ``record`` names and still runs; return what was signalled.

    The supervisor first (SIGTERM: it stops its services in order, gracefully), then any
    service still running (SIGTERM to its process group, SIGKILL after ``timeout``).
    """
    stopped: list[Recorded] = []
    sup = record.supervisor
    if sup.alive():
        lifetime.terminate([(sup.pid, sup.started)], timeout=timeout, group=False)
        stopped.append(sup)
    left = record.living_services()
    lifetime.terminate([(svc.pid, svc.started) for svc in left], timeout=timeout)
    return stopped + left


class AlreadyRunning(AccordError):
    """The run file's supervisor still runs: the system is up already."""


def clear_stale(home: Path, *, timeout: float = 20.0) -> list[Recorded]:
    """Make way for a new start in ``home``: stop what an earlier run left behind.

    Raises :class:`AlreadyRunning` when the recorded supervisor still runs (it is not
    stopped: ``accord down`` does that on purpose). Otherwise stops the recorded services
    that still run (orphans of a supervisor that ended without stopping them), removes
    the run file, and returns what it stopped.
    """
    record = read(home)
    if record is None:
        return []
    if record.supervisor.alive():
        raise AlreadyRunning(
            f"already up: accord up (pid {record.supervisor.pid}) runs the services of "
            f"{home}; stop it with `accord down`"
        )
    left = stop(record, timeout=timeout)
    remove(home)
    return left
