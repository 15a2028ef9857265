"""Judging regenerated contract documents against the committed ones.

A breaking change inside one document always fails: accord puts the major version in
the file name (``orders.v1.openapi.json``), so a new major is a new file and never
replaces the old one in place. A document that changed in any other way must bump at
least its minor version (``info.version``); when it did not, the check warns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from accord.compat.comparing.documents import diff
from accord.compat.loading.document import parse
from accord.compat.types import Change, Level

__all__ = ["Verdict", "check_documents"]

_FILE = re.compile(r"^(?P<name>.+)\.v(?P<major>\d+)\.openapi\.json$")
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)")


@dataclass
class Verdict:
    """What the check found for one document file."""

    file: str
    changes: list[Change] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether this document fails the check."""
        return bool(self.failures)


def check_documents(
    committed: Mapping[str, bytes], generated: Mapping[str, bytes], *, base_label: str
) -> list[Verdict]:
    """One verdict per file in either map, by file name.

    ``committed`` holds the published documents (in ``contracts/`` or at a git ref,
    named by ``base_label``), ``generated`` those rendered from the code. Raises
    :class:`~accord.compat.SpecError` when a committed file cannot be read.
    """
    verdicts: list[Verdict] = []
    for name in sorted(committed.keys() | generated.keys()):
        verdict = Verdict(name)
        verdicts.append(verdict)
        if name not in committed:
            verdict.notes.append(f"new document (not in {base_label})")
            continue
        if name not in generated:
            _removed(verdict, name, generated)
            continue
        base = parse(committed[name], source=f"{name} ({base_label})")
        revision = parse(generated[name], source=f"{name} (code)")
        verdict.changes = diff(base, revision)
        breaking = [c for c in verdict.changes if c.level is Level.BREAKING]
        if breaking:
            verdict.failures.append(
                f"{len(breaking)} breaking change(s) within major version "
                f"{_major(name)}: keep them out, or publish a new major version as its "
                f"own contract ({_next_file(name)})"
            )
        old, new = _version(base.info_version), _version(revision.info_version)
        if old and new and new < old:
            verdict.warnings.append(
                f"info.version went back from {base.info_version} to {revision.info_version}"
            )
        elif verdict.changes and not breaking and old and new and new[:2] <= old[:2]:
            verdict.warnings.append(
                f"{len(verdict.changes)} change(s) but the minor version was not bumped "
                f"(still {revision.info_version}); bump it to "
                f"{old[0]}.{old[1] + 1}.0"
            )
    return verdicts


def _removed(verdict: Verdict, name: str, generated: Mapping[str, bytes]) -> None:
    match = _FILE.match(name)
    newer = [
        other
        for other in generated
        if match
        and (m := _FILE.match(other))
        and m["name"] == match["name"]
        and int(m["major"]) > int(match["major"])
    ]
    if newer:
        verdict.notes.append(f"retired; superseded by {', '.join(sorted(newer))}")
    else:
        verdict.failures.append(
            "the document is gone from the code: every operation of it was removed "
            "without a new major version"
        )


def _major(name: str) -> str:
    match = _FILE.match(name)
    return match["major"] if match else "?"


def _next_file(name: str) -> str:
    match = _FILE.match(name)
    if not match:
        return "a new file"
    return f"{match['name']}.v{int(match['major']) + 1}.openapi.json"


def _version(text: str) -> tuple[int, int, int] | None:
    match = _SEMVER.match(text)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None
