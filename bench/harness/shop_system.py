"""A running shop (accord's or the twin), as the shop benchmark drives it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ROOT", "RunningSystem", "StartFailed", "free_port", "stop_process"]

ROOT = Path(__file__).resolve().parents[2]


class StartFailed(RuntimeError):
    """A system did not start, or did not become ready in time."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGTERM by PID, then SIGKILL to the session it leads if anything lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
    # The process was started in a session of its own: its group id is its pid.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)


@dataclass
class RunningSystem:
    """Where a shop answers, its service processes, and how to keep its stock up."""

    name: str
    urls: dict[str, str]
    pids: dict[str, int]
    ready_s: float
    tokens: list[str]
    order_path: str
    restock: Callable[[Sequence[str], int], None]
    process: subprocess.Popen[bytes] | None = None
    others: list[subprocess.Popen[bytes]] = field(default_factory=list)
    #: The system's processes that are not services (accord up itself, its Envoy):
    #: their CPU is reported beside the services', not in it.
    beside: dict[str, int] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop every process the system started, by PID."""
        for proc in [*self.others, *([self.process] if self.process else [])]:
            stop_process(proc)
