"""The headers a typed client sends with every call.

The client's and the call's extra headers come first (the call's win over the
client's); then the client sets the ones that carry the call's identity and context:
content negotiation, the deadline (``accord-timeout``) and W3C trace context always
win, while a correlation id or an idempotency key already among the extra headers is
kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import httpx
from opentelemetry.propagators.textmap import TextMapPropagator

from accord.contract import Idempotency, Operation
from accord.observability.context import CORRELATION_HEADER, correlation_id, new_correlation_id
from accord.resilience.deadlines import TIMEOUT_HEADER

__all__ = [
    "ACCEPT",
    "IDEMPOTENCY_HEADER",
    "current_correlation_id",
    "idempotency_key_for",
    "request_headers",
]

#: What a typed client understands: the response struct, or a problem document.
ACCEPT = "application/json, application/problem+json"

#: The header that makes a ``REQUIRES_KEY`` operation safe to send again.
IDEMPOTENCY_HEADER = "idempotency-key"


def current_correlation_id() -> str:
    """The correlation id of the current context, created (and set) when there is none.

    Setting it means every later call made from the same context shares the id.
    """
    value = correlation_id.get()
    if value is None:
        value = new_correlation_id()
        correlation_id.set(value)
    return value


def idempotency_key_for(
    op: Operation[Any, Any], given: str | None, *extra: Mapping[str, str] | None
) -> str | None:
    """The key to send: the caller's (argument, else extra headers, the last one wins),
    else a fresh one for ``REQUIRES_KEY`` operations, else none.
    """
    if given is not None:
        return given
    for mapping in reversed(extra):
        if mapping:
            found: str | None = httpx.Headers(mapping).get(IDEMPOTENCY_HEADER)
            if found:
                return found
    if op.idempotency is Idempotency.REQUIRES_KEY:
        return uuid.uuid4().hex
    return None


def request_headers(
    *extra: Mapping[str, str] | None,
    has_body: bool,
    correlation: str,
    idempotency_key: str | None,
    propagator: TextMapPropagator,
    timeout: str | None = None,
) -> httpx.Headers:
    """Every header of one attempt; trace context comes from the *current* span.

    ``timeout`` is the encoded time left (``accord-timeout``); it replaces any given.
    """
    headers = httpx.Headers()
    for mapping in extra:
        if mapping:
            headers.update(mapping)
    headers["accept"] = ACCEPT
    if has_body:
        headers["content-type"] = "application/json"
    else:
        headers.pop("content-type", None)
    if CORRELATION_HEADER not in headers:
        headers[CORRELATION_HEADER] = correlation
    if idempotency_key is not None:
        headers[IDEMPOTENCY_HEADER] = idempotency_key
    if timeout is not None:
        headers[TIMEOUT_HEADER] = timeout
    else:
        headers.pop(TIMEOUT_HEADER, None)
    for name in ("traceparent", "tracestate", "baggage"):
        headers.pop(name, None)
    carrier: dict[str, str] = {}
    propagator.inject(carrier)
    headers.update(carrier)
    return headers
