"""Appending to one audit file, safely with other threads and other processes.

An append takes a thread lock and then an exclusive ``fcntl`` lock on the file, reads the
last record to learn its ``seq`` and ``hash``, and writes the new line with one
``write`` and an ``fsync``. Several processes may therefore write one file (two versions
of a service during a rollout) and the chain stays whole. A last line cut short by a
crash has no newline: the next append ends it with one and chains after the last
complete record, and ``accord audit verify`` reports the torn line.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from accord.audit.record import GENESIS, seal

__all__ = ["AuditFile"]

_TAIL_CHUNK = 64 * 1024


class AuditFile:
    """One append-only JSON-lines audit file (created with its folder, mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Chain ``event`` after the file's last record and write it; returns the record."""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                seq, prev, torn = _last(fd)
                record = seal(event, seq=seq + 1, prev=prev)
                line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
                os.write(fd, (b"\n" if torn else b"") + line.encode())
                os.fsync(fd)
                return record
            finally:
                os.close(fd)  # closing releases the flock


def _last(fd: int) -> tuple[int, str, bool]:
    """(seq, hash) of the last complete record, and whether the file ends mid-line."""
    size = os.fstat(fd).st_size
    if size == 0:
        return 0, GENESIS, False
    start = max(0, size - _TAIL_CHUNK)
    tail = os.pread(fd, size - start, start)
    torn = not tail.endswith(b"\n")
    while True:
        lines = tail.split(b"\n")
        # The piece after the last newline is empty or torn; the first piece of a
        # chunk that does not start the file may be the end of a longer line.
        complete = lines[1 if start else 0 : -1]
        for raw in reversed(complete):
            if raw.strip():
                return _parsed(raw, torn)
        if start == 0:
            return 0, GENESIS, torn
        start = max(0, start - _TAIL_CHUNK)
        tail = os.pread(fd, size - start, start)


def _parsed(raw: bytes, torn: bool) -> tuple[int, str, bool]:
    try:
        record = json.loads(raw)
        return int(record["seq"]), str(record["hash"]), torn
    except (ValueError, KeyError, TypeError):
        # An unreadable record: chain on from nothing; verify names the bad line.
        return 0, GENESIS, torn
