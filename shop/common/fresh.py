"""What every use case takes from the world outside it: the time, and ids nobody can guess.

Each service's use cases take both as arguments (a clock, an id factory), so tests pass
fixed ones; these are the real ones.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

__all__ = ["new_id", "utc_now"]


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """A fresh, unguessable id: ``prefix`` and 128 random bits in hex (``ord_9f…``)."""
    return prefix + uuid.uuid4().hex
