"""Components a test needs from outside the Python environment (wrk, promtool, …).

They are installed by ``make test`` through ``scripts/system-packages.sh`` (the list is
``scripts/system-packages.txt``). A test that needs one calls :func:`require`: outside
CI a missing component skips the test with one line; under ``CI=true`` it fails, so a
CI run can never pass having skipped what it was meant to check.
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest

__all__ = ["on_ci", "require", "skip_or_fail"]


def on_ci() -> bool:
    """Whether this run is CI's (``CI=true``), where nothing may be skipped for lack of a tool."""
    return os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test for ``reason``, except under ``CI=true`` where it is a failure."""
    if on_ci():
        pytest.fail(f"required on CI: {reason}", pytrace=False)
    pytest.skip(reason)


def require(command: str, *, package: str | None = None) -> str:
    """The path of ``command``; skip (or fail on CI) when it is not installed."""
    found = shutil.which(command)
    if found is None:
        skip_or_fail(
            f"{command} is not installed (Debian package {package or command}; "
            "`make test` installs it when run as root)"
        )
    return found
