"""Writing settings as TOML: the few value types settings files hold, nothing more.

Top-level scalars first, then one ``[table]`` per section or mapping, in the order
given; ``None`` values and empty tables are left out (TOML has no null). Strings are
written as TOML basic strings (JSON's escapes are TOML's).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["dumps"]


def dumps(data: Mapping[str, Any], *, header: str = "") -> str:
    """``data`` (nested mappings are tables) as a TOML document."""
    lines = [*header.rstrip("\n").splitlines(), ""] if header.strip() else []
    _table(data, "", lines)
    return "\n".join(lines).strip("\n") + "\n"


def _table(data: Mapping[str, Any], prefix: str, lines: list[str]) -> None:
    # TOML has no null: a key set to None is left out (its default applies).
    data = {k: v for k, v in data.items() if v is not None and v != {}}
    plain = {k: v for k, v in data.items() if not isinstance(v, Mapping)}
    tables = {k: v for k, v in data.items() if isinstance(v, Mapping)}
    if prefix and (plain or not tables):
        lines.extend(["", f"[{prefix}]"])
    lines.extend(f"{_key(k)} = {_value(v)}" for k, v in plain.items())
    for key, value in tables.items():
        _table(value, f"{prefix}.{_key(key)}" if prefix else _key(key), lines)


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"{value} has no TOML form here")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise ValueError(f"cannot write {type(value).__name__} as TOML")
