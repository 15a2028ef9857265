"""What the runtime answers on its own: liveness, readiness, metrics and OpenAPI.

These routes live outside ``/v<major>`` and may raise only the standard errors.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio
import msgspec

from accord.contract import Contract
from accord.errors import STANDARD_ERRORS, NotFound, ServiceError, Unavailable
from accord.observability.metrics import Metrics
from accord.runtime.requests import Request
from accord.runtime.responses import PROMETHEUS_TEXT, Response

__all__ = [
    "INSTANCE_HEADER",
    "READINESS_TIMEOUT",
    "NotReady",
    "OpenAPIDocument",
    "Probes",
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
        self.livez = _Builtin(self._livez)
        self.readyz = _Builtin(self._readyz)
        self.metrics = _Builtin(self._render_metrics)

    async def _livez(self, _: Request) -> Response:
        return Response(200, _LIVE)

    async def _readyz(self, _: Request) -> Response:
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
        body = _encode({"status": "ready", "checks": results})
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
