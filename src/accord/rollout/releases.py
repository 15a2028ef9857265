"""Where a built version of a service lives: ``<home>/releases/<service>/<version>/``.

A release is a virtual environment with the service installed from a wheel; the
rollout runs the candidate with that environment's interpreter.
"""

from __future__ import annotations

from pathlib import Path

from accord.rollout.system import RolloutError

__all__ = ["release_python"]

_INTERPRETERS = ("venv/bin/python", "bin/python")


def release_python(home: Path, service: str, version: str) -> Path:
    """The interpreter of release ``version`` of ``service``; :class:`RolloutError` when
    there is no such release."""
    folder = home / "releases" / service / version
    if version in ("", ".", "..") or "/" in version or not folder.is_dir():
        raise RolloutError(f"unknown version {version!r} of {service} (see accord release list)")
    for name in _INTERPRETERS:
        if (folder / name).exists():
            return folder / name
    raise RolloutError(f"release {service} {version} has no interpreter under {folder}")
