"""Check a lock file's pins against advisories: what is vulnerable, and the fix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from accord.advisories.locks import Pin
from accord.advisories.osv import Advisory

__all__ = ["Finding", "audit_lock"]


@dataclass(frozen=True)
class Finding:
    """A locked pin that an advisory affects, and the versions that fix it."""

    pin: Pin
    advisory: Advisory

    @property
    def fixed_in(self) -> str:
        """The fixing versions the advisory names, or ``-`` when it names none."""
        return ", ".join(self.advisory.fixed) or "-"


def audit_lock(pins: Sequence[Pin], advisories: Mapping[str, list[Advisory]]) -> list[Finding]:
    """Every (pin, advisory) pair in which the advisory affects the pinned version."""
    return [
        Finding(pin, advisory)
        for pin in pins
        for advisory in advisories.get(pin.name, ())
        if advisory.affects(pin.version)
    ]
