"""The path of every HTTP request: route, observe, handle, answer.

One function does it all, in this order, because each step costs time on every request:

1. read the headers it needs in one pass over the raw header list, adding up their
   size; a head past the app's :class:`~accord.runtime.limits.Limits` is answered 431;
2. match the route (a dict lookup for templates without parameters);
3. extract W3C trace context (only when the caller sent ``traceparent`` or
   ``baggage``); start one SERVER span and make it current; accept the caller's
   correlation id, or use the trace id as a new one (no second random id);
4. call the handler; map a declared ``ServiceError`` to its problem, anything else to a
   500 ``internal`` that is logged with its traceback;
5. send the response with precomputed header names;
6. end the span (its attributes set in one go, only when it records), observe the
   duration histogram by route template, append the request line to the log buffer.
"""

from __future__ import annotations

from collections.abc import Mapping
from time import perf_counter
from typing import Any
from urllib.parse import quote

from opentelemetry.context import attach, detach, get_current
from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context

from accord.errors import (
    STANDARD_ERRORS,
    HeadersTooLarge,
    MethodNotAllowed,
    NotFound,
    ServiceError,
)
from accord.observability.context import accept_correlation_id, correlation_id
from accord.observability.telemetry import Telemetry
from accord.observability.tracing import set_valid_attributes
from accord.runtime.limits import BodyLimits, Limits
from accord.runtime.problems import internal_error, problem_response
from accord.runtime.requests import ClientDisconnected, Request
from accord.runtime.routing import Router
from accord.runtime.singletons import refuse_repeated
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
_IDEMPOTENCY_KEY = b"idempotency-key"
_AUTHORIZATION = b"authorization"
_TIMEOUT = b"accord-timeout"
_START = "http.response.start"
_BODY = "http.response.body"


class Pipeline:
    """Answers every HTTP request of an app (see the module docstring for the steps)."""

    def __init__(
        self,
        router: Router,
        telemetry: Telemetry,
        limits: Limits | None = None,
        body_limits: Mapping[object, BodyLimits] | None = None,
    ) -> None:
        limits = limits if limits is not None else Limits()
        self._max_header_count = limits.max_header_count
        self._max_header_bytes = limits.max_header_bytes
        self._max_target_bytes = limits.max_target_bytes
        # Handler → its operation's JSON limits; the app adds to it as it mounts.
        self._body_limits: Mapping[object, BodyLimits] = (
            body_limits if body_limits is not None else {}
        )
        self._match = router.match
        self._tracer = telemetry.tracer
        self._extract = telemetry.propagator.extract
        self._observe = telemetry.metrics.observe_server
        self._logs = telemetry.logs
        self._logger = telemetry.logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ``http`` scope."""
        start = perf_counter()
        method: str = scope["method"]
        path: str = scope["path"]
        content_type = content_length = raw_correlation = None
        traceparent = tracestate = baggage = user_agent = idempotency_key = None
        authorization = timeout = None
        raw_headers = scope["headers"]
        head_bytes = 0
        for name, value in raw_headers:
            head_bytes += len(name) + len(value)
            if name == _CONTENT_TYPE:
                content_type = value
            elif name == _CONTENT_LENGTH:
                content_length = value
            elif name == _CORRELATION:
                raw_correlation = value
            elif name == _TRACEPARENT:
                traceparent = value
            elif name == _TRACESTATE:
                tracestate = value
            elif name == _BAGGAGE:
                baggage = value
            elif name == _USER_AGENT:
                user_agent = value
            elif name == _IDEMPOTENCY_KEY:
                idempotency_key = value
            elif name == _AUTHORIZATION:
                authorization = value
            elif name == _TIMEOUT:
                timeout = value

        too_large: HeadersTooLarge | None = None
        if (
            head_bytes > self._max_header_bytes
            or len(raw_headers) > self._max_header_count
            or len(scope.get("raw_path") or path) + len(scope.get("query_string", b""))
            > self._max_target_bytes
        ):
            too_large = self._head_too_large(scope, raw_headers, head_bytes)

        known_method = method if method in _KNOWN_METHODS else "_OTHER"
        matched = self._match(path, scope.get("raw_path"))
        if matched is None:
            route = handler = None
            template = UNMATCHED
            params: Mapping[str, str] = {}
            span_name = method if method in _KNOWN_METHODS else "HTTP"
        else:
            route, params = matched
            template = route.template
            handler = route.handlers.get(method)
            span_name = route.span_names.get(method) or f"{known_method} {template}"

        if traceparent is None and baggage is None:
            # Fetched once: start_span, its sampler and the new context all read it.
            parent = get_current()
        else:
            carrier: dict[str, str] = {}
            if traceparent is not None:
                carrier["traceparent"] = traceparent.decode("latin-1")
                if tracestate is not None:
                    carrier["tracestate"] = tracestate.decode("latin-1")
            if baggage is not None:
                carrier["baggage"] = baggage.decode("latin-1")
            parent = self._extract(carrier)
        span = self._tracer.start_span(span_name, parent, _SERVER)
        span_context = span.get_span_context()
        trace_id = format(span_context.trace_id, "032x")
        if raw_correlation is None:
            # A new flow: its trace id is a fresh 32-hex id already, and ties logs to it.
            cid = trace_id
            cid_bytes = cid.encode()
        else:
            offered = raw_correlation.decode("latin-1")
            cid = accept_correlation_id(offered)
            cid_bytes = raw_correlation if cid is offered else cid.encode()
        context_token = attach(set_span_in_context(span, parent))
        correlation_token = correlation_id.set(cid)

        status = 500
        code: str | None = None
        error_type: str | None = None
        try:
            try:
                if too_large is not None:
                    raise too_large
                refuse_repeated(raw_headers)
                if handler is None:
                    if route is None:
                        raise NotFound("nothing is served at this path")
                    raise MethodNotAllowed(f"{method} is not allowed here; use {route.allow}")
                response = await handler(
                    Request(
                        scope,
                        receive,
                        params,
                        content_type,
                        content_length,
                        idempotency_key,
                        authorization,
                        timeout,
                        self._body_limits.get(handler),
                    )
                )
            except ServiceError as err:
                allowed = handler.errors if handler is not None else _STANDARD
                declared = allowed.get(err.code)
                if declared is None or not isinstance(err, declared):
                    self._logger.error(
                        "undeclared_error",
                        exc_info=err,
                        method=method,
                        route=template,
                        path=path,
                        error_code=err.code,
                    )
                    error_type = type(err).__qualname__
                    err = internal_error()
                code = err.code
                extra = (
                    [(b"allow", route.allow.encode("latin-1"))]
                    if route is not None and isinstance(err, MethodNotAllowed)
                    else _answer_headers(handler)
                )
                if err.headers:
                    extra = [*(extra or ()), *err.headers]
                response = problem_response(
                    err,
                    instance=_instance(scope),
                    trace_id=trace_id,
                    correlation_id=cid,
                    headers=extra,
                )
            except ClientDisconnected:
                status = CLIENT_CLOSED
                return
            except Exception as exc:
                self._logger.error(
                    "unhandled_error", exc_info=exc, method=method, route=template, path=path
                )
                if span.is_recording():
                    span.record_exception(exc)
                error_type = type(exc).__qualname__
                internal = internal_error()
                code = internal.code
                response = problem_response(
                    internal,
                    instance=_instance(scope),
                    trace_id=trace_id,
                    correlation_id=cid,
                    headers=_answer_headers(handler),
                )
            status = response.status
            body = response.body
            headers = [
                (_CONTENT_TYPE, response.content_type),
                (_CONTENT_LENGTH, str(len(body)).encode()),
                (_CORRELATION, cid_bytes),
            ]
            if response.headers:
                headers.extend(response.headers)
            await send({"type": _START, "status": status, "headers": headers})
            await send({"type": _BODY, "body": body})
        finally:
            correlation_id.reset(correlation_token)
            detach(context_token)
            seconds = perf_counter() - start
            if span.is_recording():
                _describe(
                    span, scope, method, template, route is not None, status, user_agent, error_type
                )
            span.end()
            self._observe(known_method, template, status, seconds)
            if self._logs is not None:
                self._logs.request(
                    trace_id=trace_id,
                    span_id=format(span_context.span_id, "016x"),
                    correlation_id=cid,
                    method=method,
                    route=template,
                    path=path,
                    status=status,
                    seconds=seconds,
                    code=code,
                )

    def _head_too_large(self, scope: Scope, headers: Any, head_bytes: int) -> HeadersTooLarge:
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


def _describe(
    span: Any,
    scope: Scope,
    method: str,
    template: str,
    matched: bool,
    status: int,
    user_agent: bytes | None,
    error_type: str | None,
) -> None:
    """Set the HTTP semantic-convention attributes on a recording server span, at once.

    All are strings or integers built here, so they skip the SDK's per-value checks
    (:func:`~accord.observability.tracing.set_valid_attributes`). A 5xx also sets
    ``error.type`` and the ERROR status.
    """
    attributes: dict[str, str | int] = {
        "http.request.method": method if method in _KNOWN_METHODS else "_OTHER",
        "url.path": scope["path"],
        "url.scheme": scope.get("scheme", "http"),
        "http.response.status_code": status,
    }
    if matched:
        attributes["http.route"] = template
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
        attributes["error.type"] = error_type or str(status)
        span.set_status(_ERROR)
    set_valid_attributes(span, attributes)
