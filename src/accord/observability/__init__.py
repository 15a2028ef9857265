"""Observability: tracing, metrics and structured logs of a service.

:class:`Telemetry` bundles them; build it once per process with
``Telemetry.configure(service, version)`` (or ``Telemetry.noop()`` in tests) and pass it
to the runtime and to every client the service uses.

The names below load on first use: a process that needs only a constant of a submodule
(``accord up``'s data plane reads :data:`~accord.observability.buckets.DURATION_BUCKETS`)
does not load the OpenTelemetry SDK, nor ``prometheus_client``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord._lazy import exports

if TYPE_CHECKING:
    from accord.observability.logs import JsonLogs, LineSink
    from accord.observability.metrics import Metrics
    from accord.observability.telemetry import W3C_PROPAGATOR, Telemetry
    from accord.observability.tracing import TracingConfigError

__all__ = ["W3C_PROPAGATOR", "JsonLogs", "LineSink", "Metrics", "Telemetry", "TracingConfigError"]

_WHERE = {
    "W3C_PROPAGATOR": "accord.observability.telemetry",
    "JsonLogs": "accord.observability.logs",
    "LineSink": "accord.observability.logs",
    "Metrics": "accord.observability.metrics",
    "Telemetry": "accord.observability.telemetry",
    "TracingConfigError": "accord.observability.tracing",
}


__getattr__ = exports(__name__, _WHERE)
