"""Observability: tracing, metrics and structured logs of a service.

:class:`Telemetry` bundles them; build it once per process with
``Telemetry.configure(service, version)`` (or ``Telemetry.noop()`` in tests) and pass it
to the runtime and to every client the service uses.
"""

from accord.observability.logs import JsonLogs, LineSink
from accord.observability.metrics import Metrics
from accord.observability.telemetry import W3C_PROPAGATOR, Telemetry
from accord.observability.tracing import TracingConfigError

__all__ = ["W3C_PROPAGATOR", "JsonLogs", "LineSink", "Metrics", "Telemetry", "TracingConfigError"]
