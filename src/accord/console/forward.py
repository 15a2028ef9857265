""" "Try it": a request the page composed, sent to a service from the console's side.

A browser cannot send every header to another origin (``authorization``,
``idempotency-key`` and ``traceparent`` need a CORS preflight the services do not answer),
so the page posts the request to the console, which sends it to the service's URL from
the run file, and only there: the service is named, the path must be a path.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import msgspec

__all__ = ["Answer", "TryRequest", "send", "trace_id_of"]

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
#: Headers the console sets itself, or that must not be forwarded.
_DROPPED = frozenset({"host", "content-length", "connection", "transfer-encoding"})
_TRACE = re.compile(r"^[0-9a-f]{32}$")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


class TryRequest(msgspec.Struct, forbid_unknown_fields=True):
    """What the page asks the console to send."""

    service: str
    method: str
    path: str
    headers: dict[str, str] = {}
    body: str | None = None


class Answer(msgspec.Struct):
    """What the service answered, as the page shows it."""

    status: int
    headers: dict[str, str]
    body: str
    json: Any
    trace_id: str | None
    duration_ms: float


def bad_path(path: str) -> bool:
    """Whether ``path`` is anything but an absolute path (with an optional query)."""
    return not path.startswith("/") or path.startswith("//") or any(c in path for c in "\r\n#")


def trace_id_of(headers: httpx.Headers) -> str | None:
    """The trace id an answer names: ``traceparent``, else a 32-hex ``x-correlation-id``."""
    match = _TRACEPARENT.match(headers.get("traceparent", "").strip().lower())
    if match:
        return match.group(1)
    correlation = headers.get("x-correlation-id", "").strip().lower()
    return correlation if _TRACE.match(correlation) else None


async def send(http: httpx.AsyncClient, base_url: str, wanted: TryRequest) -> Answer:
    """Send ``wanted`` to the service at ``base_url``; raises :class:`httpx.HTTPError`."""
    headers = {k.lower(): v for k, v in wanted.headers.items() if k.lower() not in _DROPPED}
    content = wanted.body.encode() if wanted.body is not None else None
    if content is not None:
        headers.setdefault("content-type", "application/json")
    started = time.perf_counter()
    answer = await http.request(
        wanted.method, base_url + wanted.path, headers=headers, content=content
    )
    elapsed = (time.perf_counter() - started) * 1000
    try:
        parsed = answer.json() if answer.content else None
    except ValueError:
        parsed = None
    return Answer(
        status=answer.status_code,
        headers=dict(answer.headers.items()),
        body=answer.text,
        json=parsed,
        trace_id=trace_id_of(answer.headers),
        duration_ms=elapsed,
    )
