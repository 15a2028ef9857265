"""Checking an audit file's chain: the first record that is not what it should be.

Each line must be a JSON object with exactly the record's fields, ``seq`` one more than
the line before, ``prev`` equal to the ``hash`` before (:data:`GENESIS` first) and
``hash`` equal to the record's own hash. A last line without a newline was cut short by
a crash and is reported as torn.
"""

from __future__ import annotations

import json
from pathlib import Path

import msgspec

from accord.audit.record import FIELDS, GENESIS, record_hash

__all__ = ["Break", "Report", "verify_file"]


class Break(msgspec.Struct, frozen=True):
    """Where a chain breaks: the file, the 1-based line, and what is wrong there."""

    path: str
    line: int
    problem: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.problem}"


class Report(msgspec.Struct, frozen=True):
    """The result of checking one file: how many records are intact, and the first break."""

    path: str
    records: int
    broken: Break | None = None


def verify_file(path: Path) -> Report:
    """Check ``path``'s chain from its first line; stop at the first break."""
    data = path.read_bytes()
    lines = data.split(b"\n")
    ends_cleanly = data.endswith(b"\n") or not data
    if ends_cleanly:
        lines = lines[:-1]
    prev, seq = GENESIS, 0
    for number, raw in enumerate(lines, start=1):
        torn = not ends_cleanly and number == len(lines)
        problem = _problem(raw, prev, seq + 1, torn=torn)
        if problem is not None:
            return Report(str(path), number - 1, Break(str(path), number, problem))
        record = json.loads(raw)
        prev, seq = record["hash"], record["seq"]
    return Report(str(path), len(lines))


def _problem(raw: bytes, prev: str, seq: int, *, torn: bool) -> str | None:
    if torn:
        return "torn record: the last line has no newline (a write was cut short)"
    try:
        record = json.loads(raw)
    except ValueError:
        return "not a JSON record (a torn write, or an edit)"
    if not isinstance(record, dict) or set(record) != set(FIELDS):
        return f"not an audit record: the fields must be {', '.join(FIELDS)}"
    if record["seq"] != seq:
        return f"seq is {record['seq']!r}, expected {seq} (a record removed or reordered)"
    if record["prev"] != prev:
        return "prev does not match the hash of the record before (removed or reordered)"
    if record["hash"] != record_hash(record):
        return "hash does not match the record's content (the record was edited)"
    return None
