"""How long, how hard and how reproducibly a chaos run goes: :class:`ChaosConfig`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from accord.errors import AccordError

__all__ = ["ChaosConfig", "ChaosError", "Progress"]

#: Where a run says what it is doing.
Progress = Callable[[str], None]


class ChaosError(AccordError):
    """The run could not go on (no scenario, a service kept failing to answer, a fault
    change was not applied, a token was refused)."""


@dataclass(frozen=True)
class ChaosConfig:
    """How long, how hard and how reproducibly to run.

    ``duration``: seconds of load (the schedule is a fraction of it); ``seed``: the
    load's choices; ``concurrency``: workers of the scenario's load; ``settle_timeout``:
    the longest wait for the data to be final once the load stopped; ``home``: a state
    folder to keep (default: a temporary one).
    """

    duration: float = 60.0
    seed: int = 1
    concurrency: int = 6
    settle_timeout: float = 60.0
    home: Path | None = None
