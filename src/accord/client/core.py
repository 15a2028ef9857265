"""``ClientCore``: the one object behind every typed client of a contract.

A call is prepared once (type check, encoding, time bound, correlation id, idempotency
key) and then sent by :meth:`ClientCore._attempt`, one HTTP exchange with its own span,
metric sample and log line. A retry policy wraps ``_attempt``: every attempt of a call
shares the key and the correlation id.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import httpx
import msgspec
from opentelemetry.trace import SpanKind

from accord.client.headers import current_correlation_id, idempotency_key_for, request_headers
from accord.client.responses import operation_label, read_response
from accord.client.tracing import (
    default_port,
    failure_code,
    record_failure,
    span_name,
    start_attributes,
)
from accord.contract import UNSET, Contract, Operation, _Unset
from accord.errors import Timeout, TransportError, UnexpectedResponse
from accord.observability.telemetry import Telemetry

__all__ = ["DEFAULT_LIMITS", "ClientCore"]

RespT = TypeVar("RespT", bound=msgspec.Struct)

#: Connection pool of one client: enough for a busy service, bounded so a slow
#: dependency cannot take every socket.
DEFAULT_LIMITS = httpx.Limits(
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=15.0
)


_FALLBACK_TIMEOUT = httpx.Timeout(5.0)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One call, ready to send (as often as a retry policy decides)."""

    path: str
    query: dict[str, Any]
    body: bytes | None
    bound: float | None
    correlation: str
    idempotency_key: str | None
    headers: Mapping[str, str] | None


class ClientCore:
    """Sends the operations of one contract to one base URL.

    ``transport`` is any ``httpx.AsyncBaseTransport`` (``httpx.ASGITransport(app)`` runs
    the service in-process, ``httpx.MockTransport(handler)`` fakes it); ``headers`` go
    with every call; ``timeout`` overrides every operation's own (``None``: no limit);
    ``telemetry`` is the calling service's (a no-op one when omitted).
    """

    def __init__(
        self,
        contract: type[Contract],
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | _Unset | None = UNSET,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.contract = contract
        self.base_url = httpx.URL(base_url)
        if self.base_url.scheme not in ("http", "https") or not self.base_url.host:
            raise ValueError(f"base URL of a {contract.name} client must be http(s)://host…")
        if isinstance(timeout, int | float) and timeout <= 0:
            raise ValueError("timeout must be positive (or None for no limit)")
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.telemetry = telemetry or Telemetry.noop(f"{contract.name}-client")
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._closed = False
        self._server = self.base_url.host
        self._port = self.base_url.port or default_port(self.base_url)

    def __repr__(self) -> str:
        return f"<ClientCore {self.contract.name} {self.base_url}>"

    # -- lifecycle -----------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        if self._closed:
            raise RuntimeError(f"the {self.contract.name} client is closed")
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self.base_url,
                transport=self._transport,
                limits=DEFAULT_LIMITS,
                timeout=_FALLBACK_TIMEOUT,  # every request carries its own bound
                follow_redirects=False,
            )
        return self._http

    async def aclose(self) -> None:
        """Close the connections; the client cannot be used afterwards."""
        self._closed = True
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()

    # -- calls ---------------------------------------------------------------------------

    def bound(self, op: Operation[Any, Any], timeout: float | _Unset | None) -> float | None:
        """The time a call gets: the call's, else the client's, else the operation's."""
        if not isinstance(timeout, _Unset):
            chosen = timeout
        elif not isinstance(self.timeout, _Unset):
            chosen = self.timeout
        else:
            chosen = op.timeout
        if chosen is not None and chosen <= 0:
            raise ValueError(f"{operation_label(op)}: timeout must be positive, got {chosen}")
        return chosen

    async def call(
        self,
        op: Operation[Any, RespT],
        request: Any,
        *,
        timeout: float | _Unset | None = UNSET,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> RespT:
        """Send ``request`` as ``op`` and return the decoded response.

        Raises the operation's declared ``ServiceError`` classes, or a
        :class:`~accord.errors.ClientError` (``TransportError``, ``Timeout``,
        ``UnexpectedResponse``, ``RemoteError``); ``TypeError`` when ``request`` is not
        an ``op.request``.
        """
        if not isinstance(request, op.request):
            raise TypeError(
                f"{operation_label(op)} expects a {op.request.__name__} request, "
                f"got {type(request).__name__}"
            )
        path, query, body = op.encode_request(request)
        prepared = _Prepared(
            path=path,
            query=query,
            body=body,
            bound=self.bound(op, timeout),
            correlation=current_correlation_id(),
            idempotency_key=idempotency_key_for(op, idempotency_key, self.headers, headers),
            headers=headers,
        )
        return await self._attempt(op, prepared)

    async def _attempt(self, op: Operation[Any, RespT], prepared: _Prepared) -> RespT:
        """One HTTP exchange: span, request, response, metric sample, log line on failure."""
        telemetry = self.telemetry
        started = time.perf_counter()
        status = 0
        with telemetry.tracer.start_as_current_span(
            span_name(op),
            kind=SpanKind.CLIENT,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                http = self._client()
                request = http.build_request(
                    op.method,
                    prepared.path,
                    params=prepared.query or None,
                    content=prepared.body,
                    headers=request_headers(
                        self.headers,
                        prepared.headers,
                        has_body=prepared.body is not None,
                        correlation=prepared.correlation,
                        idempotency_key=prepared.idempotency_key,
                        propagator=telemetry.propagator,
                    ),
                    timeout=httpx.Timeout(prepared.bound),
                )
                if span.is_recording():
                    span.set_attributes(start_attributes(op, request.url))
                response = await self._send(op, http, request, prepared.bound)
                status = response.status_code
                if span.is_recording():
                    span.set_attribute("http.response.status_code", status)
                return read_response(op, response)
            except Exception as exc:
                record_failure(span, exc, status)
                telemetry.logger.warning(
                    "client_call_failed",
                    operation=operation_label(op),
                    status=status,
                    code=failure_code(exc),
                    duration_ms=round((time.perf_counter() - started) * 1000, 3),
                    server=self._server,
                    correlation_id=prepared.correlation,
                    error=str(exc),
                )
                raise
            finally:
                telemetry.metrics.observe_client(
                    op.method, op.path, status, self._server, time.perf_counter() - started
                )

    async def _send(
        self,
        op: Operation[Any, Any],
        http: httpx.AsyncClient,
        request: httpx.Request,
        bound: float | None,
    ) -> httpx.Response:
        """Send and read the whole response within ``bound``; map httpx's errors to ours."""
        where = f"{operation_label(op)} ({request.method} {request.url})"
        try:
            with anyio.fail_after(bound):
                return await http.send(request)
        except (TimeoutError, httpx.TimeoutException) as exc:
            limit = "its time" if bound is None else f"{bound:g}s"
            raise Timeout(f"{where}: no response within {limit}") from exc
        except httpx.DecodingError as exc:
            raise UnexpectedResponse(f"{where}: could not decode the response: {exc}") from exc
        except httpx.RequestError as exc:
            reason = str(exc) or "no detail"
            raise TransportError(f"{where}: {type(exc).__name__}: {reason}") from exc
