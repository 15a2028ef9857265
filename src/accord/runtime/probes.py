"""What the runtime answers on its own: liveness, readiness, metrics and OpenAPI.

These routes live outside ``/v<major>`` and may raise only the standard errors.

``GET /livez`` and ``GET /readyz`` are asked every few seconds by whatever orchestrates
the service; by default (:class:`QuietProbes`) they are answered without a span and
without a request line, and only counted in the request duration histogram (route
``/livez`` or ``/readyz``), so probing floods neither the logs nor the traces.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from time import perf_counter
from typing import Any

import anyio
import msgspec

from accord.contract import Contract
from accord.errors import STANDARD_ERRORS, NotFound, ServiceError, Unavailable
from accord.observability.context import accept_correlation_id
from accord.observability.metrics import Metrics
from accord.observability.telemetry import Telemetry
from accord.runtime.limits import Limits
from accord.runtime.problems import problem_response
from accord.runtime.requests import Request
from accord.runtime.responses import PROMETHEUS_TEXT, Response
from accord.runtime.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "INSTANCE_HEADER",
    "READINESS_TIMEOUT",
    "NotReady",
    "OpenAPIDocument",
    "Probes",
    "QuietProbes",
    "ReadinessCheck",
]

#: The ``/readyz`` answer header that carries the instance nonce a supervisor gave.
INSTANCE_HEADER = b"accord-instance"

#: Seconds each readiness check may take before it counts as failing.
READINESS_TIMEOUT = 2.0

#: Raises to say "not ready"; returns to say "ready".
ReadinessCheck = Callable[[], Awaitable[None]]

_STANDARD: Mapping[str, type[ServiceError[Any]]] = {e.code: e for e in STANDARD_ERRORS}
_LIVE = msgspec.json.encode({"status": "ok"})
_encode = msgspec.json.Encoder().encode


class NotReady(Unavailable):
    """Service unavailable"""

    def __init__(self, detail: str, checks: Mapping[str, str]) -> None:
        super().__init__(detail)
        self.checks = dict(checks)

    def extensions(self) -> dict[str, Any]:
        """``checks``: the outcome of every readiness check."""
        return {"checks": self.checks}


class _Builtin:
    """A handler made of a coroutine function; it may raise the standard errors."""

    __slots__ = ("_fn", "errors")

    def __init__(self, fn: Callable[[Request], Awaitable[Response]]) -> None:
        self._fn = fn
        self.errors = _STANDARD

    def __call__(self, request: Request) -> Awaitable[Response]:
        return self._fn(request)


class Probes:
    """``/livez``, ``/readyz`` and ``/metrics`` of one app."""

    def __init__(
        self,
        metrics: Metrics,
        readiness: Mapping[str, ReadinessCheck],
        *,
        timeout: float = READINESS_TIMEOUT,
    ) -> None:
        self._metrics = metrics
        self._checks = dict(readiness)
        self._timeout = timeout
        self.shutting_down = False
        #: Echoed in the ``accord-instance`` header of a ready answer (see App.identify).
        self.instance: bytes | None = None
        #: Said in every ready answer, as ``warnings`` (see App.warn).
        self.warnings: list[str] = []
        self.livez = _Builtin(self._livez)
        self.readyz = _Builtin(self._readyz)
        self.metrics = _Builtin(self._render_metrics)

    async def _livez(self, _: Request | None = None) -> Response:
        return Response(200, _LIVE)

    async def _readyz(self, _: Request | None = None) -> Response:
        if self.shutting_down:
            raise Unavailable("the service is shutting down")
        results: dict[str, str] = {}
        async with anyio.create_task_group() as group:
            for name, check in self._checks.items():
                group.start_soon(self._run_check, name, check, results)
        failing = [name for name, outcome in results.items() if outcome != "ok"]
        if failing:
            listed = ", ".join(f"{name} ({results[name]})" for name in sorted(failing))
            raise NotReady(f"not ready: {listed}", results)
        ready: dict[str, object] = {"status": "ready", "checks": results}
        if self.warnings:
            ready["warnings"] = self.warnings
        body = _encode(ready)
        if self.instance is None:
            return Response(200, body)
        return Response(200, body, headers=[(INSTANCE_HEADER, self.instance)])

    async def _run_check(self, name: str, check: ReadinessCheck, results: dict[str, str]) -> None:
        results[name] = f"timed out after {self._timeout:g}s"
        try:
            with anyio.move_on_after(self._timeout):
                await check()
                results[name] = "ok"
        except Exception as exc:
            results[name] = f"failed: {type(exc).__name__}"

    async def _render_metrics(self, _: Request) -> Response:
        return Response(200, self._metrics.render(), PROMETHEUS_TEXT)


_NO_TRACE = "0" * 32
_NO_SPAN = "0" * 16
_CORRELATION = b"x-correlation-id"


class QuietProbes:
    """Answers ``GET /livez`` and ``GET /readyz`` with no span and no request line.

    The answer is the one the routed probe gives (a problem document when not ready,
    whose ``trace_id`` is all zeros: nothing was traced); the caller's
    ``x-correlation-id`` is echoed (a new one when absent), and each answer is observed
    in the duration histogram like any request; an answer other than 200 (not ready,
    shutting down) also writes its request line. A request whose head is past ``limits``
    is handed to ``fallback`` (the app's pipeline), which refuses it with 431 as usual.
    """

    __slots__ = ("_fallback", "_limits", "_logs", "_metrics", "_probes", "paths")

    def __init__(
        self, probes: Probes, telemetry: Telemetry, limits: Limits, fallback: ASGIApp
    ) -> None:
        self._probes = probes
        self._metrics = telemetry.metrics
        self._logs = telemetry.logs
        self._limits = limits
        self._fallback = fallback
        #: The paths answered here (``GET`` only).
        self.paths = frozenset({"/livez", "/readyz"})

    def _within_limits(self, scope: Scope) -> bool:
        raw = scope["headers"]
        limits = self._limits
        target = len(scope.get("raw_path") or scope["path"]) + len(scope.get("query_string", b""))
        return (
            len(raw) <= limits.max_header_count
            and target <= limits.max_target_bytes
            and sum(len(k) + len(v) for k, v in raw) <= limits.max_header_bytes
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ``GET`` of a path in :attr:`paths`."""
        if not self._within_limits(scope):
            await self._fallback(scope, receive, send)
            return
        start = perf_counter()
        path: str = scope["path"]
        offered = next((v for k, v in scope["headers"] if k == _CORRELATION), None)
        cid = accept_correlation_id(offered.decode("latin-1") if offered else None)
        code: str | None = None
        try:
            if path == "/livez":
                response = await self._probes._livez()
            else:
                response = await self._probes._readyz()
        except ServiceError as err:
            code = err.code
            response = problem_response(err, instance=path, trace_id=_NO_TRACE, correlation_id=cid)
        headers = [
            (b"content-type", response.content_type),
            (b"content-length", str(len(response.body)).encode()),
            (_CORRELATION, cid.encode()),
            *(response.headers or ()),
        ]
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})
        seconds = perf_counter() - start
        self._metrics.observe_server("GET", path, response.status, seconds)
        if response.status != 200 and self._logs is not None:
            # Not ready (or shutting down) is news: its line is written, without a trace.
            self._logs.request(
                trace_id=_NO_TRACE,
                span_id=_NO_SPAN,
                correlation_id=cid,
                method="GET",
                route=path,
                path=path,
                status=response.status,
                seconds=seconds,
                code=code,
            )


class OpenAPIDocument:
    """Serves a contract's OpenAPI document, rendered once on first request."""

    __slots__ = ("_body", "_contract", "errors")

    def __init__(self, contract: type[Contract]) -> None:
        self._contract = contract
        self._body: bytes | None = None
        self.errors = _STANDARD

    async def __call__(self, _: Request) -> Response:
        """Answer with the document (404 when OpenAPI rendering is not available)."""
        if self._body is None:
            try:
                from accord.openapi import render
            except ImportError:
                raise NotFound("OpenAPI documents are not available here") from None
            self._body = render(self._contract)
        return Response(200, self._body)
