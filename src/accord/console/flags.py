"""The feature flags of every environment, read from ``<config>/<env>/flags.json`` with
:mod:`accord.flags` as ``accord flags list`` reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accord.flags import FlagFileError, read_flags
from accord.flags.files import config_dir, current_env, environments

__all__ = ["flags_by_environment", "summary"]


def summary(flag: dict[str, Any]) -> str:
    """Who gets which variant, in a few words."""
    if flag.get("state") == "DISABLED":
        return "disabled (code defaults)"
    targeting = flag.get("targeting")
    if not targeting:
        return f"everyone: {flag.get('defaultVariant')}"
    split = targeting.get("fractional") if isinstance(targeting, dict) else None
    if isinstance(split, list) and all(isinstance(p, list) and len(p) == 2 for p in split):
        total = sum(p[1] for p in split if isinstance(p[1], int | float)) or 1
        return ", ".join(f"{p[0]} {100 * p[1] / total:g}%" for p in split)
    return f"targeted, else {flag.get('defaultVariant')}"


def flags_by_environment(root: Path) -> dict[str, Any]:
    """Every environment's flags: key, state, default variant, variants and who gets what.

    An unreadable file is reported in its environment's ``error``, not raised.
    """
    folder = config_dir(root=root)
    envs: list[dict[str, Any]] = []
    for env in environments(folder):
        path = folder / env / "flags.json"
        try:
            document = read_flags(path)
        except FlagFileError as exc:
            envs.append({"env": env, "file": str(path), "flags": [], "error": str(exc)})
            continue
        flags = [
            {
                "key": key,
                "state": flag.get("state", "ENABLED"),
                "default": flag.get("defaultVariant"),
                "variants": flag.get("variants", {}),
                "summary": summary(flag),
            }
            for key, flag in sorted(document.get("flags", {}).items())
        ]
        envs.append({"env": env, "file": str(path), "flags": flags, "error": None})
    return {"folder": str(folder), "current": current_env(), "environments": envs}
