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
    "header_fields",
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
            # As httpx.Headers(mapping).get would: names in any case, values joined.
            values = [v for n, v in mapping.items() if n.lower() == IDEMPOTENCY_HEADER]
            found = ", ".join(values)
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
    The same fields as :func:`header_fields`, as ``httpx.Headers``.
    """
    fields = header_fields(
        *extra,
        has_body=has_body,
        correlation=correlation,
        idempotency_key=idempotency_key,
        propagator=propagator,
        timeout=timeout,
    )
    return httpx.Headers(list(fields.values()))


def header_fields(
    *extra: Mapping[str, str] | None,
    has_body: bool,
    correlation: str,
    idempotency_key: str | None,
    propagator: TextMapPropagator,
    timeout: str | None = None,
) -> dict[str, tuple[str, str]]:
    """Every header of one attempt, by lower-cased name: ``(name, value)`` as sent.

    The rules of the module docstring: a later mapping's field replaces an earlier one
    of the same name (in any case); then the client's own fields.
    """
    fields: dict[str, tuple[str, str]] = {}
    for mapping in extra:
        if mapping:
            for name, value in mapping.items():
                fields[name.lower()] = (name, value)
    fields["accept"] = ("accept", ACCEPT)
    if has_body:
        fields["content-type"] = ("content-type", "application/json")
    else:
        fields.pop("content-type", None)
    if _CORRELATION not in fields:
        fields[_CORRELATION] = (_CORRELATION, correlation)
    if idempotency_key is not None:
        fields[IDEMPOTENCY_HEADER] = (IDEMPOTENCY_HEADER, idempotency_key)
    if timeout is not None:
        fields[_TIMEOUT] = (_TIMEOUT, timeout)
    else:
        fields.pop(_TIMEOUT, None)
    for name in _TRACE_CONTEXT:
        fields.pop(name, None)
    carrier: dict[str, str] = {}
    propagator.inject(carrier)
    for name, value in carrier.items():
        fields[name.lower()] = (name, value)
    return fields


_CORRELATION = CORRELATION_HEADER.lower()
_TIMEOUT = TIMEOUT_HEADER.lower()
_TRACE_CONTEXT = ("traceparent", "tracestate", "baggage")
