"""Endpoints: one operation of a contract served by one method of an implementation.

The endpoint of a deprecated contract also carries the headers that say so (RFC 9745
``Deprecation``, RFC 8594 ``Sunset``, ``Link`` to the successor), built once at start-up
and sent with every answer of the operation, problem documents included.
"""

from __future__ import annotations

import calendar
import inspect
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from email.utils import formatdate
from typing import Any

import msgspec

from accord.contract import Contract, Deprecation, Idempotency, Operation
from accord.errors import ContractError, IdempotencyKeyRequired, ServiceError
from accord.runtime.layers import Layer, compose
from accord.runtime.limits import BodyLimits, Limits
from accord.runtime.requests import Request
from accord.runtime.responses import JSON, Response
from accord.runtime.types import Headers

__all__ = ["Endpoint", "ResponseMismatch", "bind_implementation", "deprecation_headers"]

_encode = msgspec.json.Encoder().encode


_IDEMPOTENCY_KEY = b"idempotency-key"
#: A usable Idempotency-Key: 1 to 255 visible ASCII characters (as the document says).
_KEY = re.compile(rb"[!-~]{1,255}")


def _check_key(key: bytes | None) -> None:
    """A ``requires_key`` operation needs a key of visible ASCII, at most 255 long."""
    if key is None or not key.strip():
        raise IdempotencyKeyRequired(
            "this operation changes state and is retried safely only with an "
            "Idempotency-Key header; send one (a fresh UUID per logical request)"
        )
    if _KEY.fullmatch(key) is None:
        raise IdempotencyKeyRequired(
            "the Idempotency-Key must be 1 to 255 visible ASCII characters, without spaces"
        )


def deprecation_headers(deprecation: Deprecation | None) -> Headers | None:
    """The response headers announcing ``deprecation``; ``None`` when there is none.

    ``Deprecation: @<unix seconds>`` (an RFC 9651 date), ``Sunset: <HTTP-date>`` and
    ``Link: <successor>; rel="successor-version"``, each day taken at midnight UTC.
    """
    if deprecation is None:
        return None
    since = calendar.timegm(deprecation.since.timetuple())
    headers: Headers = [(b"deprecation", b"@%d" % since)]
    if deprecation.sunset is not None:
        sunset = calendar.timegm(deprecation.sunset.timetuple())
        headers.append((b"sunset", formatdate(sunset, usegmt=True).encode("ascii")))
    if deprecation.successor is not None:
        link = f'<{deprecation.successor}>; rel="successor-version"'
        headers.append((b"link", link.encode("ascii")))
    return headers


class ResponseMismatch(ContractError):
    """An implementation returned something other than the operation's response type."""


def bind_implementation(
    contract: type[Contract], implementation: object
) -> dict[str, Callable[[Any], Awaitable[Any]]]:
    """The implementation's method for every operation of ``contract``.

    Raises ContractError naming every operation that has no
    ``async def <name>(self, request)``.
    """
    found: dict[str, Callable[[Any], Awaitable[Any]]] = {}
    problems: list[str] = []
    for name in contract.operations:
        method = getattr(implementation, name, None)
        if method is None:
            problems.append(f"{name} is missing")
        elif not inspect.iscoroutinefunction(method):
            problems.append(f"{name} is not an async def")
        elif not _takes_one_argument(method):
            problems.append(f"{name} must take exactly one request argument")
        else:
            found[name] = method
    if problems:
        raise ContractError(
            f"{type(implementation).__name__} does not implement contract {contract.name} "
            f"{contract.version}: {'; '.join(problems)} "
            "(each operation needs `async def <name>(self, request)`)"
        )
    return found


def _takes_one_argument(method: Callable[..., Any]) -> bool:
    try:
        inspect.signature(method).bind(None)
    except TypeError:
        return False
    except ValueError:  # pragma: no cover - builtins without a signature
        return True
    return True


class Endpoint:
    """Decodes the request, calls the implementation, encodes its response.

    The decoding (path, query and body, validated) is the operation's own
    ``decode_request``; it raises ``ValidationFailed`` pointing at the bad value.
    The app's ``layers`` (:mod:`accord.runtime.layers`) wrap it, composed once here.
    ``limits`` (the app's) bound the body: its size (413) and its JSON (422).
    ``response_headers`` go with every answer of the operation (its contract's
    deprecation headers), or are ``None``; the pipeline adds them to problem answers.
    """

    __slots__ = (
        "_call",
        "_decode",
        "_handle",
        "_has_body",
        "_has_query",
        "_limits",
        "_requires_key",
        "_response_type",
        "_status",
        "errors",
        "operation",
        "reads",
        "response_headers",
    )

    def __init__(
        self,
        operation: Operation[Any, Any],
        method: Callable[[Any], Awaitable[Any]],
        *,
        limits: Limits | None = None,
        layers: Sequence[Layer] = (),
    ) -> None:
        self.operation = operation
        self.errors: Mapping[str, type[ServiceError[Any]]] = dict(operation.error_table)
        self._call = method
        self._decode = operation.decode_request
        self._has_body = operation.body_type is not None
        self._has_query = bool(operation.query_params)
        # The operation's body limits (size and JSON), from the app's ``Limits``.
        self._limits = BodyLimits(limits if limits is not None else Limits(), operation.body_type)
        self._requires_key = operation.idempotency is Idempotency.REQUIRES_KEY
        #: The request headers this endpoint reads itself (beside its layers').
        self.reads = frozenset({_IDEMPOTENCY_KEY}) if self._requires_key else frozenset()
        self._response_type: type[Any] = operation.response
        self._status = operation.status
        self.response_headers = deprecation_headers(operation.contract.deprecation)
        self._handle = compose(layers, operation, self.answer)

    def __call__(self, request: Request) -> Awaitable[Response]:
        """Answer one request of this operation, through the app's layers."""
        return self._handle(request)

    async def answer(self, request: Request) -> Response:
        """Answer one request of this operation (the innermost handler, under the layers)."""
        if self._requires_key:
            _check_key(request.header(_IDEMPOTENCY_KEY))
        params: Mapping[str, str | list[str]] = request.path_params
        if self._has_query:
            query = request.query()
            if query:
                params = {**query, **request.path_params}
        body = await request.json_body(self._limits) if self._has_body else None
        value = self._decode(params, body)
        result = await self._call(value)
        if type(result) is not self._response_type and not isinstance(result, self._response_type):
            raise ResponseMismatch(
                f"{self.operation.contract.name}.{self.operation.name} returned "
                f"{type(result).__name__}, not {self._response_type.__name__}"
            )
        return Response(self._status, _encode(result), JSON, self.response_headers)
