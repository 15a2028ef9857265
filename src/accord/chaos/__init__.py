"""``accord chaos``: the shop under load while its services are killed, slowed and failed.

- :mod:`accord.chaos.driver` — :func:`run` starts the services, drives the load and the
  faults, waits for the run to settle and reads the services' data back;
- :mod:`accord.chaos.audit` — the invariants, counted from what was read;
- :mod:`accord.chaos.report` — :class:`ChaosReport`: the figures, their targets, a table.
"""

from __future__ import annotations

from accord.chaos.driver import ChaosConfig, ChaosError, run
from accord.chaos.report import MAX_AMPLIFICATION, ChaosReport

__all__ = ["MAX_AMPLIFICATION", "ChaosConfig", "ChaosError", "ChaosReport", "run"]
