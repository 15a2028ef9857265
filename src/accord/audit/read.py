"""Reading audit files: the files of a project, and their records in time order."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from accord.audit.trail import AUDIT_DIR

__all__ = ["audit_files", "read_records"]


def audit_files(home: Path) -> list[Path]:
    """Every ``*.jsonl`` under ``<home>/audit``, sorted by name."""
    return sorted((home / AUDIT_DIR).glob("*.jsonl"))


def read_records(path: Path, *, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The complete records of ``path`` from byte ``offset``, and where the next read
    starts (a line still being written is left for the next read)."""
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    end = data.rfind(b"\n") + 1
    return list(_parse(data[:end].split(b"\n"), path)), offset + end


def _parse(lines: Iterable[bytes], path: Path) -> Iterator[dict[str, Any]]:
    for raw in lines:
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            continue  # `accord audit verify` reports it; reading shows what is readable
        if isinstance(record, dict):
            record["file"] = path.name
            yield record
