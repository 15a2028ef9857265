"""How one client call shows up in traces and logs.

The span follows the OpenTelemetry HTTP client conventions: named
``"{METHOD} {route template}"``, kind CLIENT, ``error.type`` on every failure, and status
ERROR on every failure too — no response, a response that broke the contract, or any
4xx/5xx answer (the conventions ask it of client spans: the call did not succeed).
"""

from __future__ import annotations

from typing import Any

import httpx
from opentelemetry.trace import Span, Status, StatusCode

from accord.contract import Operation
from accord.errors import RemoteError, ServiceError, Timeout, TransportError, UnexpectedResponse

__all__ = [
    "call_attributes",
    "default_port",
    "failure_code",
    "is_span_error",
    "record_failure",
    "span_name",
    "start_attributes",
]


def span_name(op: Operation[Any, Any]) -> str:
    """``"POST /v1/reservations"``: the method and the route *template*."""
    return f"{op.method} {op.path}"


def start_attributes(op: Operation[Any, Any], url: httpx.URL) -> dict[str, str | int]:
    """The attributes known before the request is sent."""
    return call_attributes(op, url.host, url.port or default_port(url), str(url))


def call_attributes(
    op: Operation[Any, Any], host: str, port: int, full: str
) -> dict[str, str | int]:
    """:func:`start_attributes` from the URL's parts: its host, port and whole text."""
    return {
        "http.request.method": op.method,
        "server.address": host,
        "server.port": port,
        "url.full": full,
        "url.template": op.path,
        "accord.operation": f"{op.contract.name}.{op.name}",
    }


def default_port(url: httpx.URL) -> int:
    """The port a URL without one means."""
    return 443 if url.scheme == "https" else 80


def failure_code(exc: BaseException) -> str:
    """A short, low-cardinality name of what went wrong (``error.type``, logs)."""
    if isinstance(exc, ServiceError | RemoteError):
        return exc.code
    if isinstance(exc, Timeout):
        return "timeout"
    if isinstance(exc, TransportError):
        return "transport"
    if isinstance(exc, UnexpectedResponse):
        return "unexpected_response"
    return type(exc).__qualname__


def is_span_error(exc: BaseException, status: int) -> bool:
    """Whether the failure marks the span ERROR (see the module docstring)."""
    return status == 0 or status >= 400 or not isinstance(exc, ServiceError | RemoteError)


def record_failure(span: Span, exc: BaseException, status: int) -> None:
    """Mark the span with what went wrong (only when the span is recorded)."""
    if not span.is_recording():
        return
    span.set_attribute("error.type", failure_code(exc))
    if is_span_error(exc, status):
        span.set_status(Status(StatusCode.ERROR, str(exc)))
