"""Process lifetime: children that end with their parent, and processes known by more than a pid.

A supervisor starts its children with :func:`child_setup` as their ``preexec_fn`` and in
a session (process group) of their own:

- **Linux**: the child asks the kernel for a parent-death signal
  (``prctl(PR_SET_PDEATHSIG, SIGTERM)``), so it is sent SIGTERM the moment its parent
  ends, however it ends (a signal, SIGKILL, a crash). A parent that died between the
  fork and that call is caught by comparing the child's parent pid afterwards.
- **Elsewhere** (macOS, the BSDs) there is no such signal; an accord service started by
  a supervisor watches its parent instead (:func:`watch_parent`, every half second) and
  stops itself when it is gone.

A pid alone names a process only until it is reused, so a run file records each pid with
its start time (:func:`started`); :func:`alive` is true only for the same process, still
running (a zombie counts as ended). :func:`terminate` stops processes found that way:
SIGTERM to each one's process group, then SIGKILL to what lingers.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable

__all__ = [
    "PARENT_VARIABLE",
    "alive",
    "child_setup",
    "send",
    "started",
    "terminate",
    "watch_parent",
]

#: Set in a child's environment to its supervisor's pid (see :func:`watch_parent`).
PARENT_VARIABLE = "ACCORD_PARENT_PID"

_PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    fn: Callable[..., int] = libc.prctl
    return fn


_PRCTL = _prctl()


def child_setup(parent: int | None = None) -> Callable[[], None]:
    """A ``preexec_fn`` that makes the child end (SIGTERM) when ``parent`` ends.

    ``parent`` defaults to the calling process. Off Linux it does nothing (see
    :func:`watch_parent`). It runs in the forked child before ``exec``: it only calls
    ``prctl`` and reads the parent pid, and exits the child at once when the parent is
    already gone.
    """
    expected = os.getpid() if parent is None else parent
    prctl = _PRCTL

    def setup() -> None:
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != expected:
            os._exit(1)

    return setup


def watch_parent(parent: int, *, interval: float = 0.5) -> threading.Thread | None:
    """Where the kernel has no parent-death signal, SIGTERM this process once ``parent``
    is gone (polled every ``interval`` seconds by a daemon thread); on Linux, None."""
    if _PRCTL is not None:
        return None

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=watch, name="accord-parent-watch", daemon=True)
    thread.start()
    return thread


def started(pid: int) -> str | None:
    """When process ``pid`` started, as an opaque token (None: no such process, or ended).

    Linux: the start time in clock ticks since boot from ``/proc/<pid>/stat``; elsewhere
    ``ps -o lstart=``. Two processes that share a pid never share this token.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except FileNotFoundError:
        return None
    except OSError:
        return _ps_started(pid)
    # Fields after the command: state is the 3rd of stat(5), starttime the 22nd.
    if fields[0] in (b"Z", b"X"):
        return None
    return fields[19].decode()


def _ps_started(pid: int) -> str | None:
    try:
        out = subprocess.run(  # noqa: S603 - fixed argv, no shell
            ["ps", "-o", "lstart=", "-o", "stat=", "-p", str(pid)],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if not out or out.endswith("Z"):
        return None
    return out.rsplit(None, 1)[0]


def alive(pid: int, start: str | None) -> bool:
    """Whether ``pid`` is still the process that started at ``start`` and has not ended."""
    return start is not None and started(pid) == start


def terminate(
    processes: Iterable[tuple[int, str | None]], *, timeout: float = 10.0, group: bool = True
) -> list[int]:
    """Stop each ``(pid, start)`` that is still that process; return the pids signalled.

    SIGTERM goes to the process group the pid leads (its own children too) when it leads
    one and ``group`` is true, else to the pid; what is still alive after ``timeout``
    seconds gets SIGKILL the same way.
    """
    targets = [(pid, start) for pid, start in processes if alive(pid, start)]
    for pid, _ in targets:
        send(pid, signal.SIGTERM, group=group)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(p, s) for p, s in targets):
        time.sleep(0.05)
    for pid, start in targets:
        if alive(pid, start):
            send(pid, signal.SIGKILL, group=group)
    return [pid for pid, _ in targets]


def send(pid: int, sig: int, *, group: bool = True) -> None:
    """Send ``sig`` to the process group ``pid`` leads (with ``group``), else to ``pid``;
    a process already gone is no error."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if group and os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
