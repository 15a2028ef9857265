"""``Telemetry``: the tracer, metrics and logger of one service, passed explicitly.

The runtime and every client of a service take the same ``Telemetry``; nothing reads a
global. ``Telemetry.configure(service, version)`` builds the real one (a private tracer
provider, Prometheus metrics, JSON logs); ``Telemetry.noop()`` is the twin for tests:
spans are not recorded, logs are dropped, metrics live in a private registry.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Sampler
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from accord.observability.logs import LEVELS, JsonLogs, LineSink, StdlibBridge
from accord.observability.metrics import Metrics
from accord.observability.tracing import (
    AdjustableSampler,
    ParentBasedRatio,
    TracingConfigError,
    build_provider,
    exporter_from_env,
    sampler_from_env,
)

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

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
    """What a service needs to be observed: tracing, metrics and structured logs.

    ``logs`` is ``None`` for the no-op twin; the runtime then writes no request lines.
    """

    service: str
    version: str
    tracer_provider: TracerProvider
    metrics: Metrics
    logger: Any = field(default_factory=_DiscardLogger)
    propagator: TextMapPropagator = W3C_PROPAGATOR
    logs: JsonLogs | None = None

    def __post_init__(self) -> None:
        self.tracer: trace.Tracer = self.tracer_provider.get_tracer("accord", self.version)
        self._bridge: StdlibBridge | None = None

    @classmethod
    def noop(cls, service: str = "test", version: str = "0.0.0") -> Telemetry:
        """Nothing exported, nothing logged; metrics in a private registry."""
        provider = TracerProvider(
            sampler=ALWAYS_OFF,
            resource=Resource.create({"service.name": service, "service.version": version}),
        )
        return cls(service, version, provider, Metrics(process=False))

    @classmethod
    def configure(
        cls,
        service: str,
        version: str,
        *,
        home: Path | None = None,
        log_stream: IO[str] | None = None,
        environ: Mapping[str, str] = os.environ,
        span_exporter: SpanExporter | None = None,
        sampler: Sampler | None = None,
        simple_processor: bool = False,
    ) -> Telemetry:
        """The telemetry of a real service process.

        - Spans: a private ``TracerProvider`` (resource ``service.name``,
          ``service.version``, ``service.instance.id``); the sampler from
          ``OTEL_TRACES_SAMPLER``/``OTEL_TRACES_SAMPLER_ARG`` unless ``sampler`` is given;
          exported to ``span_exporter``, else as the environment says (see
          :mod:`accord.observability.tracing`), else to
          ``<home>/telemetry/<service>.jsonl`` (``home``: ``$ACCORD_HOME`` or ``.accord``),
          through a batch processor (``simple_processor=True`` exports each span as it
          ends, for tests).
        - Logs: JSON lines on ``log_stream`` (default stdout), level ``$ACCORD_LOG_LEVEL``
          (default ``info``).
        - Metrics: a private Prometheus registry with process metrics.

        Raises :class:`~accord.observability.tracing.TracingConfigError` on a bad variable.
        """
        level_name = environ.get("ACCORD_LOG_LEVEL", "info").strip().lower() or "info"
        if level_name not in LEVELS:
            raise TracingConfigError(
                f"ACCORD_LOG_LEVEL={level_name!r} is not one of {list(LEVELS)}"
            )
        home = home if home is not None else Path(environ.get("ACCORD_HOME", ".accord"))
        exporter = (
            span_exporter
            if span_exporter is not None
            else exporter_from_env(service, environ, home)
        )
        provider = build_provider(
            service,
            version,
            sampler=AdjustableSampler(
                sampler if sampler is not None else sampler_from_env(environ)
            ),
            exporter=exporter,
            simple_processor=simple_processor,
        )
        logs = JsonLogs(service, version, LineSink(log_stream), level=LEVELS[level_name])
        return cls(service, version, provider, Metrics(), logger=logs.logger(), logs=logs)

    def capture_stdlib_logging(self) -> None:
        """Route every stdlib ``logging`` record into these JSON logs.

        Replaces the root logger's handlers (global state: call it once, from the
        process's composition root, e.g. :func:`accord.runtime.serve`).
        """
        if self.logs is None or self._bridge is not None:
            return
        self._bridge = self.logs.bridge()
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.addHandler(self._bridge)
        root.setLevel(self.logs.level)

    def set_log_level(self, name: str) -> None:
        """Log at ``name`` (``debug``, ``info``…) from now on: JSON lines and stdlib records."""
        if name not in LEVELS:
            raise ValueError(f"log level {name!r} is not one of {list(LEVELS)}")
        if self.logs is None:
            return
        self.logs.set_level(LEVELS[name])
        if self._bridge is not None:
            self._bridge.setLevel(LEVELS[name])
            logging.getLogger().setLevel(LEVELS[name])

    def set_sampling_ratio(self, ratio: float | None) -> None:
        """Sample root traces at ``ratio`` (parent-based) from now on; ``None``: as started.

        Only a provider built by :meth:`configure` can change its sampler; others ignore it.
        """
        sampler = self.tracer_provider.sampler
        if isinstance(sampler, AdjustableSampler):
            sampler.use(None if ratio is None else ParentBasedRatio(ratio))

    def flush(self) -> None:
        """Write buffered log lines and export finished spans now."""
        if self.logs is not None:
            self.logs.sink.flush()
        self.tracer_provider.force_flush()

    def shutdown(self) -> None:
        """Flush and stop exporters (spans still buffered are written), then the logs.

        Log lines written afterwards (a server's last words) go out one by one.
        """
        self.tracer_provider.shutdown()
        if self.logs is not None:
            self.logs.sink.close()
