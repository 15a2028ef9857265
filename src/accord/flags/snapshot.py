"""The flags of a file that need no rule engine, answered from a dict.

A flag without targeting always resolves to its default variant; a flag whose targeting
is flagd's ``fractional`` shorthand (``{"fractional": [["on", 10], ["off", 90]]}``: the
split by flag key and targeting key) resolves by a hash. :func:`compile_snapshot` turns
those of a flagd document into :class:`Static` and :class:`Split` entries, rebuilt at each
reload; every other flag (disabled, without a default variant, any other rule, a
``$ref``) is left to flagd's evaluator. A split computes exactly what flagd's
``fractional`` operator computes: MurmurHash3 (32-bit, unsigned) of the canonical CBOR of
``[flag key, targeting key]``, scaled to the sum of the weights (a test compares the two
on many keys).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mmh3

__all__ = ["Split", "Static", "cbor_pair", "compile_snapshot"]

#: flagd's limit on the sum of a split's weights.
MAX_WEIGHT_SUM = 2_147_483_647


@dataclass(frozen=True, slots=True)
class Static:
    """A flag that resolves to its default variant, whatever the context."""

    value: Any
    variant: str
    metadata: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Split:
    """A flag split by ``fractional``: ``bounds`` are the running sums of the weights."""

    key: bytes
    variants: tuple[str, ...]
    values: tuple[Any, ...]
    bounds: tuple[int, ...]
    total: int
    metadata: Mapping[str, Any]

    def pick(self, targeting_key: str) -> int | None:
        """The index of the variant ``targeting_key`` falls in (None: in none)."""
        hashed = mmh3.hash(self.key + _cbor_text(targeting_key), signed=False)
        bucket = (hashed * self.total) >> 32
        for index, bound in enumerate(self.bounds):
            if bucket < bound:
                return index
        return None


def _cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    for extra, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if length < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | extra]) + struct.pack(fmt, length)
    raise ValueError("too long for CBOR")


def _cbor_text(text: str) -> bytes:
    data = text.encode("utf-8")
    return _cbor_head(3, len(data)) + data


def cbor_pair(first: str, second: str) -> bytes:
    """The canonical CBOR of the array ``[first, second]`` of two text strings."""
    return _cbor_head(4, 2) + _cbor_text(first) + _cbor_text(second)


def compile_snapshot(document: Mapping[str, Any]) -> dict[str, Static | Split]:
    """The flags of a (schema-checked) flagd ``document`` answerable without flagd's
    evaluator, by key (see the module docstring)."""
    flags = document.get("flags")
    if not isinstance(flags, dict) or document.get("$evaluators"):
        return {}
    shared = document.get("metadata") or {}
    out: dict[str, Static | Split] = {}
    for key, flag in flags.items():
        entry = _entry(key, flag, shared) if isinstance(flag, dict) else None
        if entry is not None:
            out[key] = entry
    return out


def _entry(key: str, flag: dict[str, Any], shared: Mapping[str, Any]) -> Static | Split | None:
    variants = flag.get("variants")
    default = flag.get("defaultVariant")
    if flag.get("state") != "ENABLED" or not isinstance(variants, dict):
        return None
    if not isinstance(default, str) or default not in variants:
        return None
    metadata = {**shared, **(flag.get("metadata") or {})}
    targeting = flag.get("targeting")
    if not targeting:
        return Static(variants[default], default, metadata)
    return _split(key, targeting, variants, metadata)


def _split(
    key: str, targeting: Any, variants: dict[str, Any], metadata: dict[str, Any]
) -> Split | None:
    if not isinstance(targeting, dict) or list(targeting) != ["fractional"]:
        return None
    parts = targeting["fractional"]
    if not isinstance(parts, list) or not parts:
        return None
    names: list[str] = []
    bounds: list[int] = []
    total = 0
    for part in parts:
        if not isinstance(part, list) or not 1 <= len(part) <= 2:
            return None
        name, weight = part[0], part[1] if len(part) == 2 else 1
        if not isinstance(name, str) or name not in variants:
            return None
        if isinstance(weight, bool) or not isinstance(weight, int):
            return None
        total += max(0, weight)
        names.append(name)
        bounds.append(total)
    if not 0 < total <= MAX_WEIGHT_SUM:
        return None
    head = _cbor_head(4, 2) + _cbor_text(key)
    values = tuple(variants[n] for n in names)
    return Split(head, tuple(names), values, tuple(bounds), total, metadata)
