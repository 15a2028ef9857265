"""``accord chaos``: a project's services under load while they are killed, slowed and failed.

The engine is the project's for the asking; what goes under chaos is the project's own
scenario, registered in ``accord.toml`` (``[project] chaos = "module:factory"``):

- :mod:`accord.chaos.scenario` — :class:`Scenario` (the workload, the schedule, the
  settling and the audit a project supplies) and :class:`Step`;
- :mod:`accord.chaos.driver` — :func:`run`: starts the services, drives the load and
  the schedule (kills; faults set live by editing configuration), settles, reports;
- :mod:`accord.chaos.context` — :class:`Run`: what a scenario sees of a run;
- :mod:`accord.chaos.report` — :class:`ChaosReport` and :class:`Figure`: the figures,
  their targets, a table;
- :mod:`accord.chaos.metrics`, :mod:`accord.chaos.logs` — counters, breaker states and
  breaker log lines read from the services.
"""

from __future__ import annotations

from accord.chaos.config import ChaosConfig, ChaosError, Progress
from accord.chaos.context import FaultChange, Run
from accord.chaos.driver import run
from accord.chaos.report import MAX_AMPLIFICATION, ChaosReport, Figure, held_to_zero
from accord.chaos.scenario import Scenario, Step

__all__ = [
    "MAX_AMPLIFICATION",
    "ChaosConfig",
    "ChaosError",
    "ChaosReport",
    "FaultChange",
    "Figure",
    "Progress",
    "Run",
    "Scenario",
    "Step",
    "held_to_zero",
    "run",
]
