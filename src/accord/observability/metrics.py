"""Prometheus metrics of a service: the HTTP server and client duration histograms.

Resilience counters sit beside them: ``accord_server_shed_total`` (requests the server's
concurrency limit refused), ``accord_server_head_timeouts_total`` (connections closed
because their request head did not arrive in time) and ``accord_faults_injected_total``
(configured faults); the
typed clients' ``accord_client_*`` (calls, attempts, retries, budget, breaker, bulkhead).

Labels are the method, the route *template* (never a raw path) and the status code, as
the OpenTelemetry HTTP semantic conventions name them. Children are cached per label set,
so the hot path is one dict lookup and one ``observe``.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from accord.observability.buckets import DURATION_BUCKETS

__all__ = ["DURATION_BUCKETS", "Metrics"]


class Metrics:
    """The metrics one service process exports on ``/metrics``."""

    def __init__(self, registry: CollectorRegistry | None = None, *, process: bool = True) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        if process:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        self.server_duration = Histogram(
            "http_server_request_duration_seconds",
            "Duration of HTTP server requests.",
            ("http_request_method", "http_route", "http_response_status_code"),
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.client_duration = Histogram(
            "http_client_request_duration_seconds",
            "Duration of HTTP client requests.",
            ("http_request_method", "http_route", "http_response_status_code", "server_address"),
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.server_shed = Counter(
            "accord_server_shed",
            "Requests refused with 503 because the server had too many in flight.",
            ("operation",),
            registry=self.registry,
        )
        self.server_head_timeouts = Counter(
            "accord_server_head_timeouts",
            "Connections closed because a request head did not arrive within the head timeout.",
            registry=self.registry,
        )
        self.faults_injected = Counter(
            "accord_faults_injected",
            "Faults injected into requests (delay or abort), as configured.",
            ("operation", "fault"),
            registry=self.registry,
        )
        self._server: dict[tuple[str, str, int], Histogram] = {}
        self._client: dict[tuple[str, str, int, str], Histogram] = {}
        self._init_client_resilience()

    def observe_server(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one handled request (``route`` is the template, e.g. ``/v1/orders/{id}``)."""
        key = (method, route, status)
        child = self._server.get(key)
        if child is None:
            child = self._server[key] = self.server_duration.labels(method, route, str(status))
        child.observe(seconds)

    def observe_client(
        self, method: str, route: str, status: int, server: str, seconds: float
    ) -> None:
        """Record one outgoing call; ``status`` is 0 when no response arrived."""
        key = (method, route, status, server)
        child = self._client.get(key)
        if child is None:
            child = self._client[key] = self.client_duration.labels(
                method, route, str(status), server
            )
        child.observe(seconds)

    def count_shed(self, operation: str) -> None:
        """Count one request shed by the server's concurrency limit (``contract.operation``)."""
        self.server_shed.labels(operation).inc()

    def count_head_timeout(self) -> None:
        """Count one connection closed because its request head came too slowly."""
        self.server_head_timeouts.inc()

    def count_fault(self, operation: str, fault: str) -> None:
        """Count one injected fault, ``delay`` or ``abort``."""
        self.faults_injected.labels(operation, fault).inc()

    # -- client resilience (typed clients: retries, budget, breaker, bulkhead) ----------

    def _init_client_resilience(self) -> None:
        def counter(name: str, doc: str, *labels: str) -> Counter:
            return Counter(name, doc, labels, registry=self.registry)

        by_op = ("downstream", "operation")
        self.client_calls = counter(
            "accord_client_calls", "Calls made by typed clients (retries excluded).", *by_op
        )
        self.client_attempts = counter(
            "accord_client_attempts", "HTTP exchanges sent by typed clients.", *by_op
        )
        self.client_retries = counter(
            "accord_client_retries", "Attempts after the first, by reason.", *by_op, "reason"
        )
        self.client_budget_exhausted = counter(
            "accord_client_retry_budget_exhausted",
            "Retries the downstream's retry budget refused.",
            "downstream",
        )
        self.client_deadline_exceeded = counter(
            "accord_client_deadline_exceeded",
            "Calls not sent because their deadline had passed.",
            "downstream",
        )
        self.client_breaker_state = Gauge(
            "accord_client_breaker_state",
            "Circuit breaker state per downstream: 0 closed, 1 open, 2 half-open.",
            ("downstream",),
            registry=self.registry,
        )
        self.client_breaker_opened = counter(
            "accord_client_breaker_opened", "Times a downstream's breaker opened.", "downstream"
        )
        self.client_breaker_rejections = counter(
            "accord_client_breaker_rejections", "Calls an open breaker refused.", "downstream"
        )
        self.client_shed = counter(
            "accord_client_shed", "Calls a full bulkhead refused.", "downstream"
        )
        self._refusals = {
            "budget": self.client_budget_exhausted,
            "deadline": self.client_deadline_exceeded,
            "breaker": self.client_breaker_rejections,
            "shed": self.client_shed,
        }
        self._client_children: dict[tuple[object, ...], Counter] = {}

    def _client_child(self, family: Counter, *labels: str) -> Counter:
        key = (id(family), *labels)
        child = self._client_children.get(key)
        if child is None:
            child = self._client_children[key] = family.labels(*labels)
        return child

    def count_client_call(self, downstream: str, operation: str) -> None:
        """One call of a typed client (however many attempts it makes)."""
        self._client_child(self.client_calls, downstream, operation).inc()

    def count_client_attempt(self, downstream: str, operation: str) -> None:
        """One HTTP exchange of a typed client."""
        self._client_child(self.client_attempts, downstream, operation).inc()

    def count_client_retry(self, downstream: str, operation: str, reason: str) -> None:
        """One retry; ``reason`` is ``connect``, ``transport`` or the answer's problem code."""
        self._client_child(self.client_retries, downstream, operation, reason).inc()

    def count_client_refusal(self, kind: str, downstream: str) -> None:
        """A call or a retry refused locally; ``kind`` is ``budget``, ``deadline``,
        ``breaker`` or ``shed``."""
        self._client_child(self._refusals[kind], downstream).inc()

    def count_client_breaker_opened(self, downstream: str) -> None:
        """A downstream's breaker opened."""
        self._client_child(self.client_breaker_opened, downstream).inc()

    def set_client_breaker_state(self, downstream: str, value: int) -> None:
        """The breaker state gauge of a downstream (0 closed, 1 open, 2 half-open)."""
        self.client_breaker_state.labels(downstream).set(value)

    def render(self) -> bytes:
        """The Prometheus text exposition of everything in the registry."""
        return generate_latest(self.registry)
