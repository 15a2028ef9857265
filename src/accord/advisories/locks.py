"""The pins of a hashed lock file (``name==version`` lines, as pip-compile and uv write)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from accord.errors import AccordError

__all__ = ["Pin", "read_lock"]

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


@dataclass(frozen=True, order=True)
class Pin:
    """One locked package: its canonical name (PEP 503) and exact version."""

    name: str
    version: str


def read_lock(path: Path) -> list[Pin]:
    """Every ``name==version`` pin of the lock file at ``path``, sorted by name."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise AccordError(f"cannot read the lock file {path}: {exc.strerror}") from None
    pins = {
        Pin(canonicalize_name(m[1]), m[2])
        for line in text.splitlines()
        if (m := _PIN.match(line.strip()))
    }
    if not pins:
        raise AccordError(f"{path} pins no package (expected lines such as `name==1.2.3`)")
    return sorted(pins)
