"""Problem details (RFC 9457): the one place every non-2xx answer is built.

A document carries ``type`` (``urn:accord:problem:<code>``), ``title``, ``status``,
``detail``, ``code``, ``trace_id``, ``correlation_id`` and ``instance`` (the request
path), then the error's extension members (for a 422, ``errors``).
"""

from __future__ import annotations

from typing import Any

import msgspec

from accord.errors import InternalError, ServiceError
from accord.runtime.responses import PROBLEM_JSON, Response
from accord.runtime.types import Headers

__all__ = [
    "GENERIC_INTERNAL",
    "TYPE_PREFIX",
    "internal_error",
    "problem_document",
    "problem_response",
]

TYPE_PREFIX = "urn:accord:problem:"
#: The detail of every 500: nothing about what went wrong leaves the process.
GENERIC_INTERNAL = "The service failed to handle the request; it has been logged."

_encode = msgspec.json.Encoder().encode


def problem_document(
    err: ServiceError[Any], *, instance: str, trace_id: str, correlation_id: str
) -> dict[str, Any]:
    """The problem document of ``err`` as a dict (members in a stable order)."""
    doc: dict[str, Any] = {
        "type": TYPE_PREFIX + err.code,
        "title": err.title,
        "status": err.status,
        "detail": err.detail,
        "code": err.code,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "instance": instance,
    }
    for key, value in err.extensions().items():
        doc.setdefault(key, value)
    return doc


def problem_response(
    err: ServiceError[Any],
    *,
    instance: str,
    trace_id: str,
    correlation_id: str,
    headers: Headers | None = None,
) -> Response:
    """``err`` as an ``application/problem+json`` response (``headers``: e.g. ``Allow``)."""
    doc = problem_document(err, instance=instance, trace_id=trace_id, correlation_id=correlation_id)
    return Response(err.status, _encode(doc), PROBLEM_JSON, headers)


def internal_error() -> InternalError:
    """The error every unexpected failure becomes on the wire."""
    return InternalError(GENERIC_INTERNAL)
