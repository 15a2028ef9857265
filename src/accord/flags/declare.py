"""Flags declared in code: what a flag is called, its type, its default and who owns it.

::

    PAUSE_ORDERS = Flag.boolean(
        "pause-orders",
        default=False,
        description="Kill switch: refuse new orders (503) while on.",
        owner="orders-team",
        expires=date(2027, 6, 30),
    )

A declaration is the code's half of a flag; the other half is its definition in each
environment's flagd file (``config/<env>/flags.json``). ``accord flags check`` holds the
two together: every declared flag defined in every environment with the same type, and
no declaration kept past its expiry date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any, Generic, TypeVar

__all__ = ["Flag", "FlagKind", "FlagValue"]

#: The values a flag can take, as flagd's variants hold them.
FlagValue = bool | str | int | float | dict[str, Any]

T = TypeVar("T", bool, str, int, float, dict[str, Any])

#: flagd's flag keys; we keep to the ones that read well in a URL, a log and a metric label.
_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


class FlagKind(Enum):
    """A flag's type, named as OpenFeature names its typed evaluations."""

    BOOLEAN = "boolean"
    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    OBJECT = "object"

    def accepts(self, value: object) -> bool:
        """Whether ``value`` (a flagd variant's value) is of this kind."""
        if self is FlagKind.BOOLEAN:
            return isinstance(value, bool)
        if self is FlagKind.STRING:
            return isinstance(value, str)
        if self is FlagKind.INTEGER:
            return isinstance(value, int) and not isinstance(value, bool)
        if self is FlagKind.FLOAT:
            return isinstance(value, int | float) and not isinstance(value, bool)
        return isinstance(value, dict)


@dataclass(frozen=True, slots=True)
class Flag(Generic[T]):
    """One feature flag as the code knows it: evaluated with ``Flags.value(flag)``.

    ``default`` is what the code gets when the flag cannot be evaluated (no file, an
    invalid file, the flag missing from it); ``expires`` is the day by which the flag
    should be gone from the code (``accord flags check`` fails after it).
    """

    key: str
    kind: FlagKind
    default: T
    description: str
    owner: str
    expires: date

    def __post_init__(self) -> None:
        if not _KEY.match(self.key):
            raise ValueError(f"flag key {self.key!r} must match {_KEY.pattern}")
        if not self.kind.accepts(self.default):
            raise ValueError(f"flag {self.key}: default {self.default!r} is not {self.kind.value}")
        if not self.description.strip() or not self.owner.strip():
            raise ValueError(f"flag {self.key}: a description and an owner are needed")

    @staticmethod
    def boolean(
        key: str, *, default: bool, description: str, owner: str, expires: date
    ) -> Flag[bool]:
        """A flag that is on or off."""
        return Flag(key, FlagKind.BOOLEAN, default, description, owner, expires)

    @staticmethod
    def string(key: str, *, default: str, description: str, owner: str, expires: date) -> Flag[str]:
        """A flag whose value is one of several strings (a path, a variant name …)."""
        return Flag(key, FlagKind.STRING, default, description, owner, expires)

    @staticmethod
    def integer(
        key: str, *, default: int, description: str, owner: str, expires: date
    ) -> Flag[int]:
        """A flag whose value is an integer (a limit, a size …)."""
        return Flag(key, FlagKind.INTEGER, default, description, owner, expires)

    @staticmethod
    def number(
        key: str, *, default: float, description: str, owner: str, expires: date
    ) -> Flag[float]:
        """A flag whose value is a number."""
        return Flag(key, FlagKind.FLOAT, default, description, owner, expires)

    def expired(self, today: date) -> bool:
        """Whether the flag is past its expiry date on ``today``."""
        return today > self.expires
