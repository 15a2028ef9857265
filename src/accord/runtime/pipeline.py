"""The path of every HTTP request: route, observe, handle, answer.

Each step costs time on every request, so each is done once, in this order:

1. one pass over the raw header list picks out the headers
   the app reads (the pipeline's own and every layer's and endpoint's declared
   ``reads``, see :mod:`accord.runtime.layers`), notes a repeated once-only header
   (:mod:`accord.runtime.singletons`: answered 400 ``duplicate_header``) and adds up the
   head's size; a head past the app's :class:`~accord.runtime.limits.Limits` is
   answered 431;
2. match the route (a dict lookup for templates without parameters);
3. :meth:`Pipeline._start`: extract W3C trace context (only when the caller sent
   ``traceparent`` or ``baggage``); start one SERVER span and make it current; accept
   the caller's correlation id, or use the trace id as a new one (no second random id);
4. :meth:`Pipeline._answer`: call the handler with a :class:`Request`; map a declared
   ``ServiceError`` to its problem, anything else to a 500 ``internal`` logged with its
   traceback;
5. send the response with precomputed header names;
6. :meth:`Pipeline._finish`: end the span (its attributes set in one go, only when it
   records), observe the duration histogram by route template, append the request line
   to the log buffer.

The pipeline names no layer and no header a layer reads: a layer declares its headers
and reads them from the :class:`Request` itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import Token
from time import perf_counter
from typing import Any
from urllib.parse import quote

from opentelemetry.context import Context, attach, detach, get_current
from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context

from accord.errors import (
    STANDARD_ERRORS,
    DuplicateHeader,
    HeadersTooLarge,
    MethodNotAllowed,
    NotFound,
    ServiceError,
)
from accord.observability.context import accept_correlation_id, correlation_id
from accord.observability.telemetry import Telemetry
from accord.observability.tracing import set_valid_attributes
from accord.runtime.limits import Limits
from accord.runtime.problems import internal_error, problem_response
from accord.runtime.requests import ClientDisconnected, Request
from accord.runtime.responses import Response
from accord.runtime.routing import Route, Router
from accord.runtime.singletons import SINGLETONS, joined_repeat
from accord.runtime.types import Headers, Receive, Scope, Send

__all__ = ["UNMATCHED", "Pipeline"]

#: The route label of requests that matched no route.
UNMATCHED = "unmatched"
#: Status recorded (never sent) when the client left before its body was read.
CLIENT_CLOSED = 499

_KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
_STANDARD: Mapping[str, type[ServiceError[Any]]] = {e.code: e for e in STANDARD_ERRORS}
_SERVER = SpanKind.SERVER
_ERROR = Status(StatusCode.ERROR)
_CONTENT_TYPE = b"content-type"
_CONTENT_LENGTH = b"content-length"
_CORRELATION = b"x-correlation-id"
_TRACEPARENT = b"traceparent"
_TRACESTATE = b"tracestate"
_BAGGAGE = b"baggage"
_USER_AGENT = b"user-agent"
#: The headers the pipeline and :class:`Request` read themselves, and the once-only
#: ones (:data:`~accord.runtime.singletons.SINGLETONS`), whose repeats the same pass finds.
_OWN_READS = (
    _CONTENT_TYPE,
    _CONTENT_LENGTH,
    _CORRELATION,
    _TRACEPARENT,
    _TRACESTATE,
    _BAGGAGE,
    _USER_AGENT,
    *sorted(SINGLETONS),
)
_START = "http.response.start"
_BODY = "http.response.body"
_NO_PARAMS: Mapping[str, str] = {}


class _Exchange:
    """What the steps of one request share: the route, the span, the outcome.

    Class-level defaults and no ``__init__``: making one costs no Python call.
    """

    method = ""
    route: Route | None = None
    handler: Any = None
    template = UNMATCHED
    status = 500
    code: str | None = None
    error_type: str | None = None
    span: Any = None
    trace_id = ""
    cid = ""
    #: The first once-only header the request repeated (refused with a 400).
    repeated: bytes | None = None


class Pipeline:
    """Answers every HTTP request of an app (see the module docstring for the steps).

    ``reads``: request headers the app's layers read (see :meth:`declare`).
    """

    def __init__(
        self,
        router: Router,
        telemetry: Telemetry,
        limits: Limits | None = None,
        *,
        reads: Iterable[bytes] = (),
    ) -> None:
        limits = limits if limits is not None else Limits()
        self._max_header_count = limits.max_header_count
        self._max_header_bytes = limits.max_header_bytes
        self._max_target_bytes = limits.max_target_bytes
        # Every header read on the path → None; each request fills a copy.
        self._wanted: dict[bytes, bytes | None] = dict.fromkeys(_OWN_READS)
        self.declare(reads)
        self._match = router.match
        self._tracer = telemetry.tracer
        self._extract = telemetry.propagator.extract
        self._observe = telemetry.metrics.observe_server
        self._logs = telemetry.logs
        self._logger = telemetry.logger

    def declare(self, names: Iterable[bytes]) -> None:
        """Pick out these request headers too (lower-case bytes) for the handlers."""
        for name in names:
            self._wanted.setdefault(name.lower(), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ``http`` scope."""
        start = perf_counter()
        # 1. The wanted headers (first value of each, None when absent), the head's size.
        headers = self._wanted.copy()
        raw_headers = scope["headers"]
        head_bytes = 0
        repeated = None
        for name, value in raw_headers:
            head_bytes += len(name) + len(value)
            if name in headers:
                if headers[name] is None:
                    headers[name] = value
                elif name in SINGLETONS and repeated is None:
                    repeated = name
        if repeated is None:  # repeats a proxy has joined into one value
            repeated = joined_repeat(headers)
        raw_path = scope.get("raw_path")
        too_large = None
        if (
            head_bytes > self._max_header_bytes
            or len(raw_headers) > self._max_header_count
            or len(raw_path or scope["path"]) + len(scope.get("query_string", b""))
            > self._max_target_bytes
        ):
            too_large = self._head_too_large(raw_headers, head_bytes)
        # 2. The route.
        exchange = _Exchange()
        exchange.repeated = repeated
        method = exchange.method = scope["method"]
        matched = self._match(scope["path"], raw_path)
        if matched is None:
            params = _NO_PARAMS
            span_name = method if method in _KNOWN_METHODS else "HTTP"
        else:
            route, params = matched
            exchange.route = route
            exchange.handler = route.handlers.get(method)
            exchange.template = route.template
            span_name = route.span_names.get(method) or (
                f"{method if method in _KNOWN_METHODS else '_OTHER'} {route.template}"
            )
        context_token, correlation_token = self._start(exchange, span_name, headers)
        try:
            response: Response | None
            if too_large is not None:
                response = self._problem(exchange, scope, too_large)
            else:
                response = await self._answer(exchange, Request(scope, receive, params, headers))
            if response is None:
                return
            exchange.status = response.status
            out = [
                (_CONTENT_TYPE, response.content_type),
                (_CONTENT_LENGTH, b"%d" % len(response.body)),
                (_CORRELATION, exchange.cid.encode()),
            ]
            if response.headers:
                out.extend(response.headers)
            await send({"type": _START, "status": exchange.status, "headers": out})
            await send({"type": _BODY, "body": response.body})
        finally:
            correlation_id.reset(correlation_token)
            detach(context_token)
            self._finish(exchange, scope, headers, perf_counter() - start)

    def _start(
        self, exchange: _Exchange, span_name: str, headers: Mapping[bytes, bytes | None]
    ) -> tuple[Token[Context], Token[str | None]]:
        """Start the SERVER span and make it current; set the correlation id."""
        traceparent = headers[_TRACEPARENT]
        baggage = headers[_BAGGAGE]
        if traceparent is None and baggage is None:
            # Fetched once: start_span, its sampler and the new context all read it.
            parent = get_current()
        else:
            carrier: dict[str, str] = {}
            if traceparent is not None:
                carrier["traceparent"] = traceparent.decode("latin-1")
                tracestate = headers[_TRACESTATE]
                if tracestate is not None:
                    carrier["tracestate"] = tracestate.decode("latin-1")
            if baggage is not None:
                carrier["baggage"] = baggage.decode("latin-1")
            parent = self._extract(carrier)
        span = exchange.span = self._tracer.start_span(span_name, parent, _SERVER)
        trace_id = exchange.trace_id = format(span.get_span_context().trace_id, "032x")
        offered = headers[_CORRELATION]
        # A new flow: its trace id is a fresh 32-hex id already, and ties logs to it.
        cid = exchange.cid = (
            trace_id if offered is None else accept_correlation_id(offered.decode("latin-1"))
        )
        return attach(set_span_in_context(span, parent)), correlation_id.set(cid)

    async def _answer(self, exchange: _Exchange, request: Request) -> Response | None:
        """The handler's response, or the problem that stands for its error; ``None``
        when the client left before its body was read."""
        handler = exchange.handler
        try:
            if exchange.repeated is not None:
                # A once-only header sent twice is refused before anything reads it.
                raise DuplicateHeader(
                    f"the {exchange.repeated.decode('latin-1')} header may appear once; "
                    "it was repeated"
                )
            if handler is None:
                if exchange.route is None:
                    raise NotFound("nothing is served at this path")
                raise MethodNotAllowed(
                    f"{exchange.method} is not allowed here; use {exchange.route.allow}"
                )
            answered: Response = await handler(request)
            return answered
        except ServiceError as err:
            return self._problem(exchange, request.scope, err)
        except ClientDisconnected:
            exchange.status = CLIENT_CLOSED
            return None
        except Exception as exc:
            self._logger.error(
                "unhandled_error",
                exc_info=exc,
                method=exchange.method,
                route=exchange.template,
                path=request.scope["path"],
            )
            if exchange.span.is_recording():
                exchange.span.record_exception(exc)
            exchange.error_type = type(exc).__qualname__
            return self._problem(exchange, request.scope, internal_error(), declared=True)

    def _problem(
        self, exchange: _Exchange, scope: Scope, err: ServiceError[Any], *, declared: bool = False
    ) -> Response:
        """problem+json for ``err``; an error its operation did not declare is logged and
        answered as a 500 ``internal``."""
        handler = exchange.handler
        allowed = handler.errors if handler is not None else _STANDARD
        known = allowed.get(err.code)
        if not declared and (known is None or not isinstance(err, known)):
            self._logger.error(
                "undeclared_error",
                exc_info=err,
                method=exchange.method,
                route=exchange.template,
                path=scope["path"],
                error_code=err.code,
            )
            exchange.error_type = type(err).__qualname__
            err = internal_error()
        exchange.code = err.code
        route = exchange.route
        extra = (
            [(b"allow", route.allow.encode("latin-1"))]
            if route is not None and isinstance(err, MethodNotAllowed)
            else _answer_headers(handler)
        )
        if err.headers:
            extra = [*(extra or ()), *err.headers]
        return problem_response(
            err,
            instance=_instance(scope),
            trace_id=exchange.trace_id,
            correlation_id=exchange.cid,
            headers=extra,
        )

    def _finish(
        self,
        exchange: _Exchange,
        scope: Scope,
        headers: Mapping[bytes, bytes | None],
        seconds: float,
    ) -> None:
        """End the span, observe the duration, write the request line."""
        span = exchange.span
        status = exchange.status
        method = exchange.method
        if span.is_recording():
            _describe(span, scope, exchange, headers[_USER_AGENT])
        span.end()
        self._observe(
            method if method in _KNOWN_METHODS else "_OTHER", exchange.template, status, seconds
        )
        if self._logs is not None:
            self._logs.request(
                trace_id=exchange.trace_id,
                span_id=format(span.get_span_context().span_id, "016x"),
                correlation_id=exchange.cid,
                method=method,
                route=exchange.template,
                path=scope["path"],
                status=status,
                seconds=seconds,
                code=exchange.code,
            )

    def _head_too_large(self, headers: Any, head_bytes: int) -> HeadersTooLarge:
        """The 431 for a head past the limits, saying which limit it passed."""
        if len(headers) > self._max_header_count:
            return HeadersTooLarge(
                f"{len(headers)} header fields; the limit is {self._max_header_count}"
            )
        if head_bytes > self._max_header_bytes:
            return HeadersTooLarge(
                f"the header fields are {head_bytes} bytes; the limit is {self._max_header_bytes}"
            )
        return HeadersTooLarge(
            f"the path and query are over the limit of {self._max_target_bytes} bytes"
        )


_URI_SAFE = "/%:@!$&'()*+,;=-._~"
_MAX_INSTANCE = 8 * 1024


def _answer_headers(handler: object) -> Headers | None:
    """Headers a handler sends with every answer, problems too (an endpoint's deprecation)."""
    headers: Headers | None = getattr(handler, "response_headers", None)
    return headers


def _instance(scope: Scope) -> str:
    """The request path as a URI reference (still percent-encoded), for ``instance``.

    Cut at 8 KiB (the default path limit): a path past the limits is not echoed whole.
    """
    raw: bytes | None = scope.get("raw_path")
    text = raw[:_MAX_INSTANCE].decode("latin-1") if raw is not None else scope["path"]
    text = text[:_MAX_INSTANCE]
    return quote(text, safe=_URI_SAFE)


def _describe(span: Any, scope: Scope, exchange: _Exchange, user_agent: bytes | None) -> None:
    """Set the HTTP semantic-convention attributes on a recording server span, at once.

    All are strings or integers built here, so they skip the SDK's per-value checks
    (:func:`~accord.observability.tracing.set_valid_attributes`). A 5xx also sets
    ``error.type`` and the ERROR status.
    """
    method = exchange.method
    status = exchange.status
    attributes: dict[str, str | int] = {
        "http.request.method": method if method in _KNOWN_METHODS else "_OTHER",
        "url.path": scope["path"],
        "url.scheme": scope.get("scheme", "http"),
        "http.response.status_code": status,
    }
    if exchange.route is not None:
        attributes["http.route"] = exchange.template
    server = scope.get("server")
    if server:
        attributes["server.address"] = server[0]
        if server[1] is not None:
            attributes["server.port"] = server[1]
    client = scope.get("client")
    if client:
        attributes["client.address"] = client[0]
    if user_agent is not None:
        attributes["user_agent.original"] = user_agent.decode("latin-1")
    if status >= 500:
        attributes["error.type"] = exchange.error_type or str(status)
        span.set_status(_ERROR)
    set_valid_attributes(span, attributes)
