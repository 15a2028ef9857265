"""The rollout's own record: one file per service, written before each weight change.

``<home>/rollouts/<service>.json`` says what the rollout of a service is doing (its
phase, step and weights) or how it ended. It is replaced atomically before every
change of weights, so whatever kills the rollout, the file names the weights Envoy
may hold. ``<home>/rollouts/<service>.lock`` is held (``flock``) for the rollout's
life: a second rollout of the same service is refused while the first one runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec

from accord.dataplane.files import write_atomically
from accord.errors import AccordError

__all__ = ["FINAL_PHASES", "RolloutBusy", "RolloutState", "hold_lock", "read_state", "write_state"]

#: Phases after which nothing more happens.
FINAL_PHASES = frozenset({"promoted", "rolled_back"})


class RolloutBusy(AccordError):
    """Another rollout of the same service is running."""


class RolloutState(msgspec.Struct, kw_only=True):
    """Where a rollout stands (see the module docstring)."""

    service: str
    strategy: str
    stable: str
    candidate: str
    pid: int
    phase: str = "starting"
    step: int = 0
    weights: dict[str, int] = {}
    reason: str = ""
    started: float = msgspec.field(default_factory=time.time)
    updated: float = msgspec.field(default_factory=time.time)

    @property
    def final(self) -> bool:
        """Whether the rollout ended (promoted or rolled back)."""
        return self.phase in FINAL_PHASES


def _folder(home: Path) -> Path:
    return home / "rollouts"


def read_state(home: Path, service: str) -> RolloutState | None:
    """The last record of ``service``'s rollout, or None."""
    try:
        raw = (_folder(home) / f"{service}.json").read_bytes()
        return msgspec.json.decode(raw, type=RolloutState)
    except (OSError, msgspec.DecodeError):
        return None


def write_state(home: Path, state: RolloutState) -> None:
    """Replace the record (atomically), stamped with the time."""
    state.updated = time.time()
    path = _folder(home) / f"{state.service}.json"
    write_atomically(path, json.loads(msgspec.json.encode(state)))


@contextlib.contextmanager
def hold_lock(home: Path, service: str) -> Iterator[None]:
    """Hold the rollout lock of ``service``; :class:`RolloutBusy` when another holds it."""
    folder = _folder(home)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / f"{service}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            current = read_state(home, service)
            who = f" (pid {current.pid})" if current is not None else ""
            raise RolloutBusy(f"a rollout of {service} is already running{who}") from None
        yield
    finally:
        os.close(fd)
