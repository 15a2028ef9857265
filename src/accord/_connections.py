"""The connection pool of every outgoing HTTP transport accord builds."""

from __future__ import annotations

import httpx

__all__ = ["DEFAULT_LIMITS"]

#: Connection pool of one client: enough for a busy service, bounded so a slow
#: dependency cannot take every socket.
DEFAULT_LIMITS = httpx.Limits(
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=15.0
)
