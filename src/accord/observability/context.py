"""Request-scoped context shared by the runtime, the client and the logs.

The correlation id is carried in ``X-Correlation-ID``: accepted from the caller (or
created), returned on the response, and sent with every downstream call made while the
request is handled.
"""

from __future__ import annotations

import secrets
from contextvars import ContextVar

__all__ = ["CORRELATION_HEADER", "correlation_id", "new_correlation_id"]

#: The header, lower-cased as ASGI presents it.
CORRELATION_HEADER = "x-correlation-id"

#: The correlation id of the request being handled, if any.
correlation_id: ContextVar[str | None] = ContextVar("accord_correlation_id", default=None)

_MAX_LEN = 128


def new_correlation_id() -> str:
    """A fresh id: 32 hex characters."""
    return secrets.token_hex(16)


def accept_correlation_id(value: str | None) -> str:
    """The caller's id when it is sane (printable, at most 128 chars), else a new one."""
    if value and len(value) <= _MAX_LEN and value.isprintable() and " " not in value:
        return value
    return new_correlation_id()
