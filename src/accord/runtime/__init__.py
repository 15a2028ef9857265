"""The service runtime: an ASGI application built from a contract and its implementation.

::

    from accord.runtime import App, serve

    app = App(Inventory, InventoryService(repo), telemetry=telemetry)
    serve(app, port=8102, drain_delay=5.0)

:class:`App` routes, validates, answers problems (RFC 9457) and observes every request
(a server span, a duration histogram by route template, a JSON request line);
:func:`serve` runs it on uvicorn with a graceful shutdown.

Layers a composition root installs around every operation: :class:`LoadShedding`
(a server bulkhead), :class:`Deadlines`, :class:`FaultInjection` and
:class:`IdempotencyLayer` (``accord.Idempotency`` is the contract's enum: how safe an
operation is to resend). See ``docs/resilience.md``.
"""

from accord.runtime.app import App
from accord.runtime.auth import Authentication, Principal, TokenVerifier, current_principal
from accord.runtime.deadlines import Deadlines
from accord.runtime.faults import FaultInjection
from accord.runtime.idempotency import IdempotencyLayer
from accord.runtime.layers import Handler, Layer
from accord.runtime.probes import READINESS_TIMEOUT, ReadinessCheck
from accord.runtime.requests import Request
from accord.runtime.responses import Response
from accord.runtime.server import serve
from accord.runtime.shedding import LoadShedding

__all__ = [
    "READINESS_TIMEOUT",
    "App",
    "Authentication",
    "Deadlines",
    "FaultInjection",
    "Handler",
    "IdempotencyLayer",
    "Layer",
    "LoadShedding",
    "Principal",
    "ReadinessCheck",
    "Request",
    "Response",
    "TokenVerifier",
    "current_principal",
    "serve",
]
