"""Sunset dates (``x-sunset``, or accord's ``x-accord-sunset``) of operations and
parameters: when something deprecated is announced to go."""

from __future__ import annotations

import datetime as dt
from typing import Any

from accord.compat.comparing.context import Context

__all__ = ["compare_sunsets", "future_sunset", "sunset"]


def sunset(node: dict[str, Any]) -> dt.date | None:
    """The sunset date of an operation or parameter, if it has a readable one."""
    raw = node.get("x-sunset", node.get("x-accord-sunset"))
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw[:10])
        except ValueError:
            return None
    return None


def future_sunset(node: dict[str, Any]) -> dt.date | None:
    """The sunset date of a deprecated ``node`` when it is still to come."""
    date = sunset(node) if node.get("deprecated") is True else None
    return date if date is not None and date > dt.date.today() else None


def compare_sunsets(
    ctx: Context, prefix: str, operation: str, where: str, b: dict[str, Any], r: dict[str, Any]
) -> None:
    """``<prefix>-sunset-added``, ``-removed``, ``-earlier`` or ``-later``."""
    bs, rs = sunset(b), sunset(r)
    if bs == rs:
        return
    if bs is None:
        ctx.add(f"{prefix}-sunset-added", operation, where, f"sunset {rs}")
    elif rs is None:
        ctx.add(f"{prefix}-sunset-removed", operation, where, f"sunset {bs} withdrawn")
    elif rs < bs:
        ctx.add(f"{prefix}-sunset-earlier", operation, where, f"sunset {bs} → {rs}")
    else:
        ctx.add(f"{prefix}-sunset-later", operation, where, f"sunset {bs} → {rs}")
