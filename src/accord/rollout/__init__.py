"""Releasing a new version of a service behind the data plane: canary and blue-green.

- :mod:`~accord.rollout.system`: the running system, seen through its files and Envoy;
- :mod:`~accord.rollout.state`: the rollout's record and lock;
- :mod:`~accord.rollout.analysis`: judging the candidate from Envoy's statistics;
- :mod:`~accord.rollout.runner`: the moves every strategy shares;
- :mod:`~accord.rollout.canary`, :mod:`~accord.rollout.bluegreen`: the strategies;
- :mod:`~accord.rollout.manual`: status, abort and rollback by hand;
- :mod:`~accord.rollout.releases`: the interpreter of a built release.

See docs/release.md.
"""

from __future__ import annotations

from accord.rollout.analysis import counts, default_objectives, judge, objectives_for
from accord.rollout.bluegreen import run_blue_green
from accord.rollout.canary import run_canary
from accord.rollout.manual import abort, rollback, status
from accord.rollout.releases import release_python
from accord.rollout.result import RolloutResult, Side, StepRecord
from accord.rollout.runner import Options, Rollout
from accord.rollout.state import RolloutBusy, RolloutState, hold_lock, read_state
from accord.rollout.system import RolloutError, System

__all__ = [
    "STRATEGIES",
    "Options",
    "Rollout",
    "RolloutBusy",
    "RolloutError",
    "RolloutResult",
    "RolloutState",
    "Side",
    "StepRecord",
    "System",
    "abort",
    "counts",
    "default_objectives",
    "hold_lock",
    "judge",
    "objectives_for",
    "read_state",
    "release_python",
    "rollback",
    "run_blue_green",
    "run_canary",
    "status",
]

#: The strategies ``accord rollout --strategy`` knows.
STRATEGIES = {"canary": run_canary, "blue-green": run_blue_green}
