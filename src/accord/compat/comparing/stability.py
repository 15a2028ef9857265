"""Stability levels (``x-stability-level``) of operations, the extension oasdiff reads.

The levels run ``draft`` < ``alpha`` < ``beta`` < ``stable``. A level lowered takes back a
promise clients built on (``beta`` → ``alpha``: the operation may now change without
notice); a level raised adds one. A value outside the four is not a level and is
skipped, as is an operation that has none on either side.
"""

from __future__ import annotations

from typing import Any

from accord.compat.comparing.context import Context

__all__ = ["compare_stability"]

#: Stability levels from the least to the most promised.
LEVELS = {"draft": 0, "alpha": 1, "beta": 2, "stable": 3}


def compare_stability(ctx: Context, operation: str, b: dict[str, Any], r: dict[str, Any]) -> None:
    """Compare the ``x-stability-level`` of one operation."""
    before, after = b.get("x-stability-level"), r.get("x-stability-level")
    if before not in LEVELS or after not in LEVELS or before == after:
        return
    rule = (
        "stability-level-decreased"
        if LEVELS[after] < LEVELS[before]
        else "stability-level-increased"
    )
    ctx.add(rule, operation, "x-stability-level", f"stability {before} → {after}")
