"""What a project puts under chaos: its :class:`Scenario`, registered in ``accord.toml``.

::

    [project]
    chaos = "shop.chaos:ShopScenario"   # a callable returning a Scenario (a class will do)

The engine (:mod:`accord.chaos.driver`) starts the project's services, runs
``concurrency`` copies of :meth:`Scenario.work` for the run's duration while it plays
the scenario's :attr:`~Scenario.schedule` (kills, and faults set live by editing the
services' configuration files), waits for :meth:`Scenario.settle`, and prints the
figures :meth:`Scenario.audit` counted from the services' data beside its own.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from accord.chaos.report import Figure
from accord.runtime.faults import FaultConfig

if TYPE_CHECKING:
    from accord.chaos.context import Run

__all__ = ["Hook", "Scenario", "Step"]

#: A scenario's own code run at a step (read a figure, arm a log watcher…).
Hook = Callable[["Run"], Awaitable[None]]


@dataclass(frozen=True)
class Step:
    """One moment of the schedule, ``at`` a fraction (0..1) of the run's duration.

    In order: a fault window ``opens`` (the workload's latencies from then on count as
    "under fault"), ``before`` runs, each service of ``kill`` gets ``kill -9`` (the
    supervisor restarts it; the step waits until it is ready), each of ``faults`` gets
    its faults (a :class:`~accord.runtime.faults.FaultConfig`; None: none) by an edit of
    its configuration file, applied live by the running process, ``after`` runs, and the
    window ``closes``.
    """

    at: float
    kill: Sequence[str] = ()
    faults: Mapping[str, FaultConfig | None] = field(default_factory=dict)
    before: Hook | None = None
    after: Hook | None = None
    opens: bool = False
    closes: bool = False


class Scenario(Protocol):
    """A project's workload, schedule and audit (see the module docstring).

    ``environ``: variables the services run with (on top of the caller's);
    ``schedule``: the steps, in order of ``at``.
    """

    environ: Mapping[str, str]
    schedule: Sequence[Step]

    async def prepare(self, run: Run) -> Mapping[str, str]:
        """Get ready (tokens, warm-up, the state before the run); the headers the
        engine's own reads (``/metrics``) send."""
        ...

    async def work(self, run: Run, rng: random.Random, stop: asyncio.Event) -> None:
        """One worker of the load, until ``stop`` is set; it records each request's
        latency with :meth:`Run.record`."""
        ...

    async def settle(self, run: Run) -> None:
        """Once the load stopped: wait until the services' data is final."""
        ...

    async def audit(self, run: Run, standard: Mapping[str, Figure]) -> list[Figure]:
        """The figures, in the order the table shows them; any of the engine's
        ``standard`` figures (by key) left out is shown after them."""
        ...

    def on_line(self, service: str, line: str) -> None:
        """One line a service wrote (its log), as it is written."""
        ...

    async def close(self) -> None:
        """Let go of what :meth:`prepare` took (clients, files)."""
        ...
