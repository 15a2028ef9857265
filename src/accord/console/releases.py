"""Each service's configuration version and any rollout in progress, where accord has
them.

Live configuration and rollouts are features of their own; until this accord has them,
the console answers ``{"available": false}`` with the reason, and the page says "not
available" in their section.
"""

from __future__ import annotations

import importlib.util
from typing import Any

__all__ = ["configuration", "rollouts"]


def _missing(module: str, feature: str) -> dict[str, Any] | None:
    if importlib.util.find_spec(module) is None:
        return {"available": False, "reason": f"{feature} are not part of this accord"}
    return None


def configuration() -> dict[str, Any]:
    """Each service's configuration version (not available yet)."""
    return _missing("accord.config", "configuration files") or {
        "available": False,
        "reason": "configuration versions are not read by the console yet",
    }


def rollouts() -> dict[str, Any]:
    """Rollouts in progress (not available yet)."""
    return _missing("accord.rollout", "rollouts") or {
        "available": False,
        "reason": "rollouts are not read by the console yet",
    }
