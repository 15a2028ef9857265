"""Advisories in the OSV schema (https://ossf.github.io/osv-schema/), read from a folder.

Only what decides whether a PyPI version is affected is read: the advisory's id and
aliases, a summary, and per ``affected`` entry of the ``PyPI`` ecosystem the package name,
its explicit ``versions`` and its ``ECOSYSTEM`` ranges. A range is a list of events
(``introduced``, ``fixed``, ``last_affected``, ``limit``) evaluated as the schema says:
events sorted by version, a version is affected from an ``introduced`` up to (not
including) the next ``fixed`` or ``limit``, or up to and including a ``last_affected``.
Versions compare by PEP 440 (``packaging``); ``introduced: "0"`` is before every version.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from accord.errors import AccordError

__all__ = ["Advisory", "AdvisoryError", "load_advisories"]

_SUFFIXES = (".json", ".yaml", ".yml")
_EARLIEST = "0"


class AdvisoryError(AccordError):
    """An advisory folder that cannot be used: missing, or holding no advisory at all."""


@dataclass(frozen=True)
class _Range:
    events: tuple[tuple[str, str], ...]  # (kind, version), in the advisory's order

    def covers(self, version: Version) -> bool:
        affected = False
        for kind, bound in sorted(self.events, key=_event_order):
            if kind == "introduced":
                if bound == _EARLIEST or version >= Version(bound):
                    affected = True
            elif (kind in ("fixed", "limit") and version >= Version(bound)) or (
                kind == "last_affected" and version > Version(bound)
            ):
                affected = False
        return affected


def _event_order(event: tuple[str, str]) -> tuple[int, Version, int]:
    kind, bound = event
    if bound == _EARLIEST:
        return (0, Version("0"), 0)
    # At one version, an introduction comes before what ends it.
    return (1, Version(bound), 0 if kind == "introduced" else 1)


@dataclass(frozen=True)
class Advisory:
    """What one advisory says of one package: the versions and ranges it affects."""

    id: str
    package: str
    summary: str = ""
    aliases: tuple[str, ...] = ()
    versions: frozenset[str] = frozenset()
    ranges: tuple[_Range, ...] = field(default=())
    fixed: tuple[str, ...] = ()

    def affects(self, version: str) -> bool:
        """Whether ``version`` of :attr:`package` is affected."""
        if version in self.versions:
            return True
        try:
            parsed = Version(version)
        except InvalidVersion:
            return False
        return any(r.covers(parsed) for r in self.ranges)


def load_advisories(folder: Path) -> dict[str, list[Advisory]]:
    """Every PyPI advisory in ``folder`` (searched recursively), by canonical package name.

    Files that are not advisories (other ecosystems, unreadable or malformed documents)
    are passed over; a folder with no advisory at all is an :class:`AdvisoryError`, so
    that a wrong path never passes as "no known vulnerability".
    """
    if not folder.is_dir():
        raise AdvisoryError(f"{folder} is not a folder of OSV advisories")
    found: dict[str, list[Advisory]] = {}
    files = 0
    for path in sorted(p for p in folder.rglob("*") if p.suffix in _SUFFIXES and p.is_file()):
        document = _read(path)
        if document is None:
            continue
        files += 1
        for advisory in _advisories(document):
            found.setdefault(advisory.package, []).append(advisory)
    if files == 0:
        raise AdvisoryError(f"{folder} holds no OSV advisory (*.json or *.yaml)")
    return found


def _read(path: Path) -> Mapping[str, Any] | None:
    try:
        text = path.read_text()
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError):
        return None
    return document if isinstance(document, Mapping) and "id" in document else None


def _advisories(document: Mapping[str, Any]) -> Iterator[Advisory]:
    for affected in document.get("affected") or ():
        package = affected.get("package") or {}
        if package.get("ecosystem") != "PyPI" or not package.get("name"):
            continue
        ranges = tuple(_ranges(affected.get("ranges") or ()))
        yield Advisory(
            id=str(document["id"]),
            package=canonicalize_name(str(package["name"])),
            summary=str(document.get("summary") or document.get("details") or "")[:200],
            aliases=tuple(str(a) for a in document.get("aliases") or ()),
            versions=frozenset(str(v) for v in affected.get("versions") or ()),
            ranges=ranges,
            fixed=tuple(v for r in ranges for kind, v in r.events if kind == "fixed"),
        )


def _ranges(ranges: Iterable[Mapping[str, Any]]) -> Iterator[_Range]:
    for entry in ranges:
        if entry.get("type") != "ECOSYSTEM":
            continue  # GIT ranges name commits, not versions
        events = []
        for event in entry.get("events") or ():
            for kind in ("introduced", "fixed", "last_affected", "limit"):
                if kind in event:
                    bound = str(event[kind])
                    try:
                        if bound != _EARLIEST:
                            Version(bound)
                    except InvalidVersion:
                        continue
                    events.append((kind, bound))
        if events:
            yield _Range(tuple(events))
