"""Changes ``accord flags set`` and ``accord flags rollout`` make to a flag document.

Each function takes a document and returns a changed copy, or raises
:class:`~accord.flags.files.FlagFileError` with one line saying why not; the caller
writes the copy (which checks it against flagd's schema first).
"""

from __future__ import annotations

import copy
from typing import Any

from accord.flags.files import FlagFileError

__all__ = ["rollout", "rollout_variant", "set_variant"]


def _flag(document: dict[str, Any], key: str) -> dict[str, Any]:
    flags = document.get("flags", {})
    if key not in flags:
        known = ", ".join(sorted(flags)) or "none"
        raise FlagFileError(f"no flag {key!r} in this environment (flags: {known})")
    flag: dict[str, Any] = flags[key]
    return flag


def _variant(flag: dict[str, Any], key: str, variant: str) -> None:
    if variant not in flag.get("variants", {}):
        known = ", ".join(sorted(flag.get("variants", {})))
        raise FlagFileError(f"flag {key!r} has no variant {variant!r} (variants: {known})")


def set_variant(document: dict[str, Any], key: str, variant: str) -> dict[str, Any]:
    """Everyone gets ``variant`` of flag ``key``: it becomes the default variant, the flag
    is enabled and any targeting rule is dropped."""
    changed = copy.deepcopy(document)
    flag = _flag(changed, key)
    _variant(flag, key, variant)
    flag["state"] = "ENABLED"
    flag["defaultVariant"] = variant
    flag.pop("targeting", None)
    return changed


def rollout_variant(flag: dict[str, Any], key: str) -> str:
    """The variant a boolean flag rolls out: the one whose value is ``true``."""
    chosen = [name for name, value in flag.get("variants", {}).items() if value is True]
    if len(chosen) != 1:
        raise FlagFileError(
            f"flag {key!r} is not a boolean flag with one 'true' variant: name the variant"
        )
    return str(chosen[0])


def rollout(
    document: dict[str, Any], key: str, percent: int, *, variant: str | None = None
) -> dict[str, Any]:
    """``percent`` of customers get ``variant`` of flag ``key`` (default: its ``true``
    variant), the rest its default variant, through flagd's ``fractional`` split.

    The split hashes the flag key with the evaluation's targeting key (the customer), so
    a customer keeps their side as the percentage grows.
    """
    if not 0 <= percent <= 100:
        raise FlagFileError(f"a rollout is a percentage from 0 to 100, not {percent}")
    changed = copy.deepcopy(document)
    flag = _flag(changed, key)
    chosen = variant if variant is not None else rollout_variant(flag, key)
    _variant(flag, key, chosen)
    rest = flag.get("defaultVariant")
    if rest == chosen:
        others = sorted(set(flag["variants"]) - {chosen})
        if not others:
            raise FlagFileError(f"flag {key!r} has no other variant to roll {chosen!r} out from")
        rest = others[0]
        flag["defaultVariant"] = rest
    flag["state"] = "ENABLED"
    flag["targeting"] = {"fractional": [[chosen, percent], [rest, 100 - percent]]}
    return changed
