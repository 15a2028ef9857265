"""``accord flags check``: the flags the code declares against every environment's file.

=======================================================  ========
what is found                                            severity
=======================================================  ========
a declared flag missing from an environment's file       error
a declared flag whose variants there are of another type error
a declared flag past its expiry date                     error
an environment's file that is missing or invalid         error
a flag in a file that no code declares                   warning
=======================================================  ========
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import msgspec

from accord.flags.declare import Flag
from accord.flags.files import FILENAME, FlagFileError, environments, read_flags

__all__ = ["Finding", "check_flags"]


class Finding(msgspec.Struct, frozen=True):
    """One line of the check: ``error`` fails it, ``warning`` does not."""

    severity: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.severity}: {self.message}"


def _declared(
    flags: Sequence[Flag[Any]], today: date
) -> tuple[dict[str, Flag[Any]], list[Finding]]:
    by_key: dict[str, Flag[Any]] = {}
    findings = []
    for flag in flags:
        if flag.key in by_key:
            findings.append(Finding("error", flag.key, "declared twice"))
        by_key[flag.key] = flag
        if flag.expired(today):
            findings.append(
                Finding(
                    "error",
                    flag.key,
                    f"expired on {flag.expires.isoformat()} and still declared "
                    f"(owner: {flag.owner}): remove it from the code and the files",
                )
            )
    return by_key, findings


def _environment(
    where: str, document: dict[str, Any], declared: dict[str, Flag[Any]]
) -> list[Finding]:
    defined: dict[str, Any] = document.get("flags", {})
    findings = []
    for key, flag in declared.items():
        if key not in defined:
            findings.append(Finding("error", where, f"declared flag {key!r} is missing"))
            continue
        wrong = [
            name
            for name, value in defined[key].get("variants", {}).items()
            if not flag.kind.accepts(value)
        ]
        if wrong:
            findings.append(
                Finding(
                    "error",
                    where,
                    f"flag {key!r} is declared {flag.kind.value} but variant(s) "
                    f"{', '.join(wrong)} are not",
                )
            )
    for key in sorted(set(defined) - set(declared)):
        findings.append(Finding("warning", where, f"flag {key!r} is declared by no code"))
    return findings


def check_flags(
    flags: Sequence[Flag[Any]],
    folder: Path,
    *,
    envs: Iterable[str] | None = None,
    today: date | None = None,
) -> list[Finding]:
    """Every finding for ``flags`` over the environments of ``folder`` (all by default)."""
    declared, findings = _declared(flags, today or date.today())
    chosen = list(envs) if envs is not None else environments(folder)
    if not chosen:
        findings.append(Finding("error", str(folder), f"no environment has a {FILENAME}"))
    for env in chosen:
        path = folder / env / FILENAME
        try:
            document = read_flags(path)
        except FlagFileError as exc:
            findings.append(Finding("error", str(path), str(exc).removeprefix(f"{path}: ")))
            continue
        findings.extend(_environment(str(path), document, declared))
    return findings
