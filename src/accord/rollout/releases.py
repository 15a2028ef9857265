"""The interpreter a candidate runs with: a built release's (``accord release build``)."""

from __future__ import annotations

from pathlib import Path

from accord.release import ReleaseError, find
from accord.rollout.system import RolloutError

__all__ = ["release_python"]


def release_python(home: Path, service: str, version: str) -> Path:
    """The interpreter of release ``version`` of ``service``; :class:`RolloutError` when
    there is no such release."""
    try:
        release = find(home, service, version)
    except ReleaseError as exc:
        raise RolloutError(f"unknown version: {exc}") from None
    if not release.python.exists():
        raise RolloutError(f"release {service} {version} has no interpreter at {release.python}")
    return release.python
