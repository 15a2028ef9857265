"""``Telemetry``: the tracer, metrics and logger of one service, passed explicitly.

The runtime and every client of a service take the same ``Telemetry``; nothing reads a
global. ``Telemetry.noop()`` is the twin for tests: spans are not recorded, logs are
dropped, metrics live in a private registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from accord.observability.metrics import Metrics

__all__ = ["W3C_PROPAGATOR", "Telemetry"]

#: ``traceparent``/``tracestate`` and ``baggage``, the W3C trio.
W3C_PROPAGATOR: TextMapPropagator = CompositePropagator(
    [TraceContextTextMapPropagator(), W3CBaggagePropagator()]
)


class _DiscardLogger:
    """A logger that drops everything (the no-op twin of the JSON logger)."""

    def bind(self, **_: Any) -> _DiscardLogger:
        return self

    def _drop(self, *_: Any, **__: Any) -> None:
        return None

    debug = info = warning = error = exception = critical = _drop


@dataclass
class Telemetry:
    """What a service needs to be observed: tracing, metrics and structured logs."""

    service: str
    version: str
    tracer_provider: TracerProvider
    metrics: Metrics
    logger: Any = field(default_factory=_DiscardLogger)
    propagator: TextMapPropagator = W3C_PROPAGATOR

    def __post_init__(self) -> None:
        self.tracer: trace.Tracer = self.tracer_provider.get_tracer("accord", self.version)

    @classmethod
    def noop(cls, service: str = "test", version: str = "0.0.0") -> Telemetry:
        """Nothing exported, nothing logged; metrics in a private registry."""
        provider = TracerProvider(
            sampler=ALWAYS_OFF,
            resource=Resource.create({"service.name": service, "service.version": version}),
        )
        return cls(service, version, provider, Metrics(process=False))

    def shutdown(self) -> None:
        """Flush and stop exporters (spans still buffered are written)."""
        self.tracer_provider.shutdown()
