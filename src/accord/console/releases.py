"""Each service's configuration version and any rollout in progress, where accord has
them.

Rollouts keep one record per service (``<home>/rollouts/<service>.json``: strategy,
stable and candidate versions, phase, step, weights); the console lists those records,
the unfinished ones first. Live configuration reports its version on an endpoint of
each service; the console does not read it yet. Where a feature is not part of this
accord, its answer is ``{"available": false}`` with the reason, and the page says "not
available" in its section.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

__all__ = ["FINISHED", "configuration", "read_rollouts", "rollouts"]

#: Phases after which a rollout does nothing more.
FINISHED = frozenset({"promoted", "rolled_back"})


def _missing(module: str, feature: str) -> dict[str, Any] | None:
    if importlib.util.find_spec(module) is None:
        return {"available": False, "reason": f"{feature} are not part of this accord"}
    return None


def configuration() -> dict[str, Any]:
    """Each service's configuration version (not read yet)."""
    return _missing("accord.config", "configuration files") or {
        "available": False,
        "reason": "configuration versions are not read by the console yet",
    }


def read_rollouts(folder: Path) -> list[dict[str, Any]]:
    """The rollout records in ``folder``, unfinished first, newest first; unreadable
    records are left out."""
    found: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and "service" in record:
            record["in_progress"] = record.get("phase") not in FINISHED
            found.append(record)
    found.sort(key=lambda r: (not r["in_progress"], -float(r.get("updated") or 0)))
    return found


def rollouts(home: Path) -> dict[str, Any]:
    """The rollouts of the system whose state folder is ``home``."""
    missing = _missing("accord.rollout", "rollouts")
    if missing is not None:
        return missing
    return {"available": True, "rollouts": read_rollouts(home / "rollouts")}
