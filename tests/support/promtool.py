"""promtool (Debian's ``prometheus`` package, see scripts/system-packages.txt) for tests.

:func:`promtool` returns its path; where it is missing the test skips with one line, or
fails under ``CI=true``.
"""

from __future__ import annotations

import os
import shutil

import pytest

__all__ = ["promtool"]


def promtool() -> str:
    """The path of ``promtool``; skips (fails on CI) when it is not installed."""
    path = shutil.which("promtool")
    if path is not None:
        return path
    reason = "promtool not found (Debian package prometheus; `make test` installs it as root)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"promtool is required on CI: {reason}", pytrace=False)
    pytest.skip(reason)
