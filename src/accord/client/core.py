"""``ClientCore``: the one object behind every typed client of a contract.

A call is prepared once (type check, encoding, deadline, correlation id, idempotency
key) and then sent by :meth:`ClientCore._attempt`, one HTTP exchange with its own span,
metric sample and log line. Around the attempts, per downstream (see
:mod:`accord.client.downstream`)::

    deadline passed? ── DeadlineExceeded, nothing sent
    breaker open?    ── BreakerOpen, nothing sent
    bulkhead full?   ── wait a little, then BulkheadFull, nothing sent
    attempt          ── success: return; failure: the breaker and the budget learn of it
    retry?           ── safe call, retryable failure, attempts and budget left, and the
                        backoff (at least Retry-After) ends before the deadline: sleep, again

Every attempt of a call shares the deadline, the idempotency key and the correlation id,
and sends the time that remains in ``accord-timeout``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import anyio
import httpx
import msgspec
from opentelemetry.trace import Span, SpanKind

from accord._connections import DEFAULT_LIMITS
from accord.client.auth import ClientAuth
from accord.client.defaults import DEFAULT_BREAKER, DEFAULT_BULKHEAD, DEFAULT_RETRY
from accord.client.downstream import DOWNSTREAMS, Downstream, Downstreams
from accord.client.headers import current_correlation_id, header_fields, idempotency_key_for
from accord.client.outcomes import (
    counts_against_breaker,
    counts_against_budget,
    remember_retry_after,
    retry_after_of,
    retry_reason,
)
from accord.client.prepared import Prepared, call_deadline
from accord.client.responses import operation_label, read_response, read_success
from accord.client.tracing import (
    call_attributes,
    default_port,
    failure_code,
    record_failure,
    span_name,
    start_attributes,
)
from accord.client.transport import Http1Transport
from accord.contract.binding import UNSET, _Unset
from accord.contract.declaration import Contract, Idempotency, Operation
from accord.errors import (
    DeadlineExceeded,
    Timeout,
    TransportError,
    Unauthenticated,
    UnexpectedResponse,
)
from accord.observability.telemetry import Telemetry
from accord.resilience.breaker import BreakerConfig, BreakerOpen, CircuitBreaker, Permit
from accord.resilience.budget import RetryBudget
from accord.resilience.bulkhead import Bulkhead, BulkheadConfig, BulkheadFull
from accord.resilience.deadlines import current_deadline, encode_timeout
from accord.resilience.retry import RetryPolicy

__all__ = [
    "DEFAULT_BREAKER",
    "DEFAULT_BULKHEAD",
    "DEFAULT_LIMITS",
    "DEFAULT_RETRY",
    "ClientCore",
]

RespT = TypeVar("RespT", bound=msgspec.Struct)


#: Sent with every request unless the caller's headers say otherwise.
_DEFAULT_HEADERS = {"user-agent": f"python-httpx/{httpx.__version__}"}
_SAFE = frozenset({Idempotency.READ_ONLY, Idempotency.IDEMPOTENT})


class ClientCore:
    """Sends the operations of one contract to one base URL.

    ``transport`` is any ``httpx.AsyncBaseTransport`` (``httpx.ASGITransport(app)`` runs
    the service in-process, ``httpx.MockTransport(handler)`` fakes it); ``headers`` go
    with every call; ``timeout`` overrides every operation's own (``None``: no limit);
    ``telemetry`` is the calling service's (a no-op one when omitted).

    ``retry``, ``breaker`` and ``bulkhead`` configure the resilience of the calls
    (``DEFAULT_RETRY``, ``DEFAULT_BREAKER``, ``DEFAULT_BULKHEAD`` when omitted; ``None``
    turns one off). Breaker, retry budget and bulkhead are shared by every client of the
    same downstream in ``downstreams`` (the process's own registry by default).

    ``auth`` authenticates every call with headers of the service's own (a token:
    :class:`~accord.client.auth.BearerAuth`, see :mod:`accord.client.auth`); it hears of
    each 401 so it can drop what the server refused.
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
        retry: RetryPolicy | _Unset | None = UNSET,
        breaker: BreakerConfig | _Unset | None = UNSET,
        bulkhead: BulkheadConfig | _Unset | None = UNSET,
        downstreams: Downstreams | None = None,
        auth: ClientAuth | None = None,
    ) -> None:
        self.contract = contract
        self.auth = auth
        self.base_url = httpx.URL(base_url)
        if self.base_url.scheme not in ("http", "https") or not self.base_url.host:
            raise ValueError(f"base URL of a {contract.name} client must be http(s)://host…")
        if isinstance(timeout, int | float) and timeout <= 0:
            raise ValueError("timeout must be positive (or None for no limit)")
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.telemetry = telemetry or Telemetry.noop(f"{contract.name}-client")
        self._transport = transport
        self._http: httpx.AsyncBaseTransport | None = None
        # Operation paths are appended to this (the base URL's own path kept).
        self._prefix = str(self.base_url).rstrip("/")
        self._closed = False
        self._server = self.base_url.host
        self._port = self.base_url.port or default_port(self.base_url)
        # What the lean path (``_send_lean``) writes: the origin, the Host field and the
        # base URL's own path before each operation's.
        self._origin = (self._server, self._port)
        self._netloc = self.base_url.netloc
        self._target = self.base_url.raw_path.split(b"?", 1)[0].rstrip(b"/")
        self.retry = DEFAULT_RETRY if isinstance(retry, _Unset) else retry
        breaker_config = DEFAULT_BREAKER if isinstance(breaker, _Unset) else breaker
        bulkhead_config = DEFAULT_BULKHEAD if isinstance(bulkhead, _Unset) else bulkhead
        registry = downstreams if downstreams is not None else DOWNSTREAMS
        self.downstream: Downstream = registry.get(contract.name, self._key(), transport)
        self.downstream.observe(self.telemetry)
        self._breaker: CircuitBreaker | None = (
            None if breaker_config is None else self.downstream.breaker(breaker_config)
        )
        self._budget: RetryBudget | None = (
            None if self.retry is None else self.downstream.budget(self.retry)
        )
        self._bulkhead: Bulkhead | None = (
            None if bulkhead_config is None else self.downstream.bulkhead(bulkhead_config)
        )

    def __repr__(self) -> str:
        return f"<ClientCore {self.contract.name} {self.base_url}>"

    def reconfigure(
        self,
        *,
        retry: RetryPolicy | _Unset | None = UNSET,
        breaker: BreakerConfig | _Unset | None = UNSET,
    ) -> None:
        """Retry and break with new figures from now on (live configuration).

        Each takes effect for the next decision it makes: a call under way keeps its
        attempts so far. A breaker with other figures is another breaker of the
        downstream (shared by the clients configured alike), starting closed.
        """
        if not isinstance(retry, _Unset):
            self._budget = None if retry is None else self.downstream.budget(retry)
            self.retry = retry
        if not isinstance(breaker, _Unset):
            self._breaker = None if breaker is None else self.downstream.breaker(breaker)

    def _key(self) -> str:
        """The base URL as the downstream is known by: explicit port, no trailing slash."""
        url = self.base_url
        return f"{url.scheme}://{url.host}:{self._port}{url.path.rstrip('/')}"

    # -- lifecycle -----------------------------------------------------------------------

    def _sender(self) -> httpx.AsyncBaseTransport:
        """The transport requests go through: the one given, else
        :class:`~accord.client.transport.Http1Transport` for ``http://`` and httpx's
        own for ``https://``, made on first use."""
        if self._closed:
            raise RuntimeError(f"the {self.contract.name} client is closed")
        if self._http is None:
            if self._transport is not None:
                self._http = self._transport
            elif self.base_url.scheme == "http":
                self._http = Http1Transport(max_idle=DEFAULT_LIMITS.max_keepalive_connections or 20)
            else:
                self._http = httpx.AsyncHTTPTransport(limits=DEFAULT_LIMITS)
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

        Raises the operation's declared ``ServiceError`` classes, ``DeadlineExceeded``
        when the deadline passed before anything was sent, or a
        :class:`~accord.errors.ClientError` (``TransportError``, ``Timeout``,
        ``UnexpectedResponse``, ``RemoteError``, ``BreakerOpen``, ``BulkheadFull``,
        ``TokenUnavailable``); ``TypeError`` when ``request`` is not an ``op.request``.
        """
        if not isinstance(request, op.request):
            raise TypeError(
                f"{operation_label(op)} expects a {op.request.__name__} request, "
                f"got {type(request).__name__}"
            )
        auth = self.auth
        if auth is not None:  # the caller's own headers win over the hook's
            own = await auth.headers()
            headers = {**own, **headers} if headers else own
        path, query, body = op.encode_request(request)
        ambient = current_deadline.get()
        deadline, limit = call_deadline(self.bound(op, timeout), ambient)
        key = idempotency_key_for(op, idempotency_key, self.headers, headers)
        prepared = Prepared(
            path=path,
            query=query,
            body=body,
            deadline=deadline,
            limit=limit,
            inherited=deadline is not None and deadline is ambient,
            correlation=current_correlation_id(),
            idempotency_key=key,
            headers=headers,
            safe=op.idempotency in _SAFE or key is not None,
        )
        try:
            return await self._call(op, prepared)
        except Unauthenticated:
            if auth is not None:
                auth.refused()
            raise

    async def _call(self, op: Operation[Any, RespT], prepared: Prepared) -> RespT:
        """Attempts of one call, as the breaker, bulkhead, budget and deadline allow."""
        downstream = self.downstream
        metrics = self.telemetry.metrics
        downstream.calls += 1
        metrics.count_client_call(downstream.name, op.name)
        deadline = prepared.deadline
        attempts = 0
        # The last attempt's error: when a retry cannot be made after all, it is what the
        # caller gets, as it says more than the refusal.
        last: Exception | None = None
        while True:
            if deadline is not None and deadline.expired:
                if last is not None:  # a retry is never planned past the deadline; a race
                    raise last
                downstream.deadline_exceeded += 1
                metrics.count_client_refusal("deadline", downstream.name)
                raise DeadlineExceeded(
                    f"{operation_label(op)}: the deadline passed before the call was sent"
                )
            permit = None
            if self._breaker is not None:
                try:
                    permit = self._breaker.acquire()
                except BreakerOpen:
                    downstream.breaker_rejections += 1
                    metrics.count_client_refusal("breaker", downstream.name)
                    if last is None:
                        raise
                if permit is None and last is not None:  # the breaker opened meanwhile
                    raise last
            attempts += 1
            try:
                return await self._guarded(op, prepared, permit, attempts)
            except Exception as exc:
                delay = self._retry_delay(op, prepared, exc, attempts)
                if delay is None:
                    raise
                last = exc
            await anyio.sleep(delay)

    async def _guarded(
        self, op: Operation[Any, RespT], prepared: Prepared, permit: Permit | None, attempt: int
    ) -> RespT:
        """One attempt inside the bulkhead; the breaker and the budget learn how it went."""
        bulkhead = self._bulkhead
        if bulkhead is not None:
            wait = bulkhead.config.max_wait_duration
            if prepared.deadline is not None:
                wait = min(wait, prepared.deadline.remaining())
            try:
                await bulkhead.acquire(wait)
            except BaseException as exc:
                if permit is not None:
                    permit.release()
                if isinstance(exc, BulkheadFull):
                    self.downstream.shed += 1
                    self.telemetry.metrics.count_client_refusal("shed", self.downstream.name)
                raise
        downstream = self.downstream
        downstream.attempts += 1
        if attempt > 1:
            downstream.retries += 1
        self.telemetry.metrics.count_client_attempt(downstream.name, op.name)
        budget = self._budget
        try:
            result = await self._attempt(op, prepared, attempt)
        except Exception as exc:
            if permit is not None:
                if counts_against_breaker(exc):
                    permit.failure()
                else:
                    permit.success()
            if budget is not None:
                if counts_against_budget(exc):
                    budget.record_failure()
                else:
                    budget.record_success()
            raise
        except BaseException:
            if permit is not None:
                permit.release()  # cancelled: says nothing about the downstream
            raise
        finally:
            if bulkhead is not None:
                bulkhead.release()
        if permit is not None:
            permit.success()
        if budget is not None:
            budget.record_success()
        return result

    def _retry_delay(
        self, op: Operation[Any, Any], prepared: Prepared, exc: Exception, attempts: int
    ) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` when there is none."""
        policy = self.retry
        if policy is None or not policy.backoff.allows(attempts):
            return None
        reason = retry_reason(exc, policy, safe=prepared.safe)
        if reason is None:
            return None
        retry_after = retry_after_of(exc)
        if retry_after is not None and retry_after > policy.max_retry_after:
            return None
        delay = policy.backoff.delay(attempts - 1, retry_after=retry_after)
        deadline = prepared.deadline
        if deadline is not None and delay >= deadline.remaining():
            return None
        downstream = self.downstream
        if self._budget is not None and not self._budget.can_retry():
            downstream.budget_exhausted += 1
            self.telemetry.metrics.count_client_refusal("budget", downstream.name)
            return None
        self.telemetry.metrics.count_client_retry(downstream.name, op.name, reason)
        return delay

    async def _attempt(
        self, op: Operation[Any, RespT], prepared: Prepared, attempt: int = 1
    ) -> RespT:
        """One HTTP exchange: span, request, response, metric sample, log line on failure."""
        telemetry = self.telemetry
        started = time.perf_counter()
        status = 0
        deadline = prepared.deadline
        bound = None if deadline is None else deadline.remaining()
        with telemetry.tracer.start_as_current_span(
            span_name(op),
            kind=SpanKind.CLIENT,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                http = self._sender()
                if attempt > 1 and span.is_recording():  # the semantic conventions' name
                    span.set_attribute("http.request.resend_count", attempt - 1)
                answer: httpx.Response | tuple[list[tuple[bytes, bytes]], bytes]
                if isinstance(http, Http1Transport) and not prepared.query:
                    status, answer = await self._send_lean(op, http, prepared, bound, span)
                else:
                    status, answer = await self._send_httpx(op, http, prepared, bound, span)
                if span.is_recording():
                    span.set_attribute("http.response.status_code", status)
                return _read(op, status, answer, self._prefix + prepared.path)
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
                    attempt=attempt,
                    error=str(exc),
                )
                raise
            finally:
                telemetry.metrics.observe_client(
                    op.method, op.path, status, self._server, time.perf_counter() - started
                )

    def _fields(self, prepared: Prepared, bound: float | None) -> dict[str, tuple[str, str]]:
        """The header fields of one attempt (trace context from the current span)."""
        return header_fields(
            _DEFAULT_HEADERS,
            self.headers,
            prepared.headers,
            has_body=prepared.body is not None,
            correlation=prepared.correlation,
            idempotency_key=prepared.idempotency_key,
            propagator=self.telemetry.propagator,
            timeout=None if bound is None else encode_timeout(bound),
        )

    async def _send_lean(
        self,
        op: Operation[Any, Any],
        http: Http1Transport,
        prepared: Prepared,
        bound: float | None,
        span: Span,
    ) -> tuple[int, tuple[list[tuple[bytes, bytes]], bytes]]:
        """Send on accord's own transport, the request written out here: no httpx
        ``Request``/``URL``/``Headers`` built, no ``Response`` unless it is read as an error.
        The same bytes on the wire as :meth:`_send_httpx` (host, length, fields)."""
        url = self._prefix + prepared.path
        if span.is_recording():
            span.set_attributes(call_attributes(op, self._server, self._port, url))
        fields = self._fields(prepared, bound)
        body = prepared.body
        lines = [op.method.encode("ascii"), b" ", self._target + prepared.path.encode("ascii")]
        lines.append(b" HTTP/1.1\r\n")
        if "host" not in fields:
            lines += (b"Host: ", self._netloc, b"\r\n")
        for name, value in fields.values():
            lines += (name.encode("ascii"), b": ", value.encode("ascii"), b"\r\n")
        if "content-length" not in fields and "transfer-encoding" not in fields:
            if body is not None:
                lines += (b"Content-Length: ", b"%d" % len(body), b"\r\n")
            elif op.method in _SENDS_LENGTH:
                lines.append(b"Content-Length: 0\r\n")
        lines.append(b"\r\n")
        head = b"".join(lines)
        with self._failures(op, url, prepared):
            async with asyncio.timeout(bound):
                status, headers, content = await http.send(self._origin, head, body or b"")
        return status, (headers, content)

    async def _send_httpx(
        self,
        op: Operation[Any, Any],
        http: httpx.AsyncBaseTransport,
        prepared: Prepared,
        bound: float | None,
        span: Span,
    ) -> tuple[int, httpx.Response]:
        """Send through any httpx transport; the whole response read within ``bound``."""
        request = httpx.Request(
            op.method,
            self._prefix + prepared.path,
            params=prepared.query or None,
            content=prepared.body,
            headers=list(self._fields(prepared, bound).values()),
            extensions={"timeout": httpx.Timeout(bound).as_dict()},
        )
        if span.is_recording():
            span.set_attributes(start_attributes(op, request.url))
        with self._failures(op, str(request.url), prepared):
            with anyio.fail_after(bound):
                response = await http.handle_async_request(request)
                try:
                    await response.aread()
                finally:
                    await response.aclose()
        return response.status_code, response

    @contextmanager
    def _failures(self, op: Operation[Any, Any], url: str, prepared: Prepared) -> Iterator[None]:
        """Map httpx's errors to ours.

        When the time that ran out was the served request's, the error is
        ``DeadlineExceeded``, so the service answers 504 as its own deadline says.
        """
        where = f"{operation_label(op)} ({op.method} {url})"
        try:
            yield
        except (TimeoutError, httpx.TimeoutException) as exc:
            limit = prepared.limit
            given = "its time" if limit is None else f"{round(limit, 3):g}s"
            if prepared.inherited:
                raise DeadlineExceeded(
                    f"{where}: no response within the {given} left to the request being served"
                ) from exc
            raise Timeout(f"{where}: no response within {given}") from exc
        except httpx.DecodingError as exc:
            raise UnexpectedResponse(f"{where}: could not decode the response: {exc}") from exc
        except httpx.RequestError as exc:
            reason = str(exc) or "no detail"
            raise TransportError(f"{where}: {type(exc).__name__}: {reason}") from exc


#: Methods httpx sends ``Content-Length: 0`` with when they carry no body.
_SENDS_LENGTH = frozenset({"POST", "PUT", "PATCH"})


def _read(
    op: Operation[Any, RespT],
    status: int,
    answer: httpx.Response | tuple[list[tuple[bytes, bytes]], bytes],
    url: str,
) -> RespT:
    """The result of an answer, or the error it stands for (its ``Retry-After`` kept).

    A 2xx from :meth:`ClientCore._send_lean` is decoded from its raw fields; anything
    else becomes an ``httpx.Response`` first, as the error readers take one.
    """
    if not isinstance(answer, httpx.Response):
        headers, content = answer
        media = None
        if 200 <= status <= 299:
            media = _plain_media(headers)
        if media is not None:
            try:
                return read_success(op, status, media, content)
            except Exception as exc:
                remember_retry_after(exc, httpx.Response(status, headers=headers))
                raise
        response = httpx.Response(
            status, headers=headers, content=content, request=httpx.Request(op.method, url)
        )
    else:
        response = answer
    try:
        return read_response(op, response)
    except Exception as exc:
        remember_retry_after(exc, response)
        raise


def _plain_media(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The media type of raw header fields as :func:`media_type` reads it; ``None`` when
    the body is content-encoded (httpx's ``Response`` decodes it)."""
    media = ""
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"content-type":
            if not media:  # httpx joins repeats; the first one's type is what is read
                media = value.decode("latin-1").split(";", 1)[0].strip().lower()
        elif lowered == b"content-encoding":
            return None
    return media
