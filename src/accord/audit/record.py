"""One audit record: its fields, its canonical bytes and its hash.

A record is one JSON object on one line::

    {"seq": 3, "time": "2026-12-07T09:12:01.123456Z", "actor": "operator:ada",
     "action": "keys.rotate", "target": "signing-keys", "outcome": "success",
     "details": {"current": "k2"}, "prev": "<64 hex>", "hash": "<64 hex>"}

``hash`` is the SHA-256 of the record's canonical JSON (keys sorted, no spaces, UTF-8)
without ``hash`` itself; ``prev`` is the ``hash`` of the record before it in the same file
(:data:`GENESIS` for the first), so editing, removing or reordering a record breaks the
chain at that point.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["FIELDS", "GENESIS", "REDACTED", "canonical", "record_hash", "scrub", "seal", "utc_now"]

#: The ``prev`` of a file's first record.
GENESIS = "0" * 64
#: Every record has exactly these fields.
FIELDS = ("seq", "time", "actor", "action", "target", "outcome", "details", "prev", "hash")
#: What replaces the value of a detail whose name says it is a secret.
REDACTED = "[redacted]"

#: Detail names whose values are never written, whatever a caller passes.
_SECRET_NAME = re.compile(
    r"pass(word)?|secret|token|authorization|cookie|card|private|key_pem", re.I
)


def utc_now() -> str:
    """The current time as RFC 3339 UTC with microseconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def scrub(details: Mapping[str, Any]) -> dict[str, Any]:
    """``details`` with the value of any secret-named key replaced by :data:`REDACTED`.

    A safety net, not the rule: callers pass no secrets in the first place.
    """
    clean: dict[str, Any] = {}
    for name, value in details.items():
        if _SECRET_NAME.search(name):
            clean[name] = REDACTED
        elif isinstance(value, Mapping):
            clean[name] = scrub(value)
        else:
            clean[name] = value
    return clean


def canonical(record: Mapping[str, Any]) -> bytes:
    """The bytes a record's hash covers: every field but ``hash``, sorted, compact."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(record: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of :func:`canonical`."""
    return hashlib.sha256(canonical(record)).hexdigest()


def seal(event: Mapping[str, Any], *, seq: int, prev: str) -> dict[str, Any]:
    """``event`` (time, actor, action, target, outcome, details) chained after ``prev``."""
    record = {
        "seq": seq,
        "time": event["time"],
        "actor": event["actor"],
        "action": event["action"],
        "target": event["target"],
        "outcome": event["outcome"],
        "details": event["details"],
        "prev": prev,
    }
    record["hash"] = record_hash(record)
    return record
