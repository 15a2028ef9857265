"""Known vulnerabilities of a project's locked dependencies, online or air-gapped.

A lock file's pins (:mod:`accord.advisories.locks`) are checked against advisories in the
OSV format (:mod:`accord.advisories.osv`), read from a local copy of an advisory database
such as PyPA's ``advisory-database`` (YAML) or an OSV export (JSON). Where no such copy is
given, ``pip-audit`` asks an advisory service; where neither is reachable, nothing is
claimed (:mod:`accord.advisories.check`).
"""

from __future__ import annotations

from accord.advisories.check import Finding, audit_lock
from accord.advisories.locks import Pin, read_lock
from accord.advisories.osv import Advisory, AdvisoryError, load_advisories

__all__ = [
    "Advisory",
    "AdvisoryError",
    "Finding",
    "Pin",
    "audit_lock",
    "load_advisories",
    "read_lock",
]
