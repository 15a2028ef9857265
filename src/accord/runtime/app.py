"""``App``: an ASGI 3 application serving contracts with their implementations.

::

    app = App(Orders, OrdersService(...), telemetry=Telemetry.configure("orders", "1.2.0"),
              readiness={"database": db.ping})
    app.mount(OrdersV2, OrdersServiceV2(...))      # /v2/... from the same process

Besides each operation (under ``/v<major>``) it answers ``GET /livez``, ``/readyz``,
``/metrics``, ``/openapi.json`` (the first contract), ``/v<major>/openapi.json`` and
``/docs`` (an interactive reference of every contract it serves,
:mod:`accord.runtime.reference`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import msgspec

from accord.contract import Contract, secret_fields
from accord.errors import ContractError
from accord.observability.logs import mark_secret
from accord.observability.telemetry import Telemetry
from accord.runtime.endpoint import Endpoint, bind_implementation
from accord.runtime.layers import Layer, reads_of
from accord.runtime.lifespan import Hook, run_lifespan
from accord.runtime.limits import Limits
from accord.runtime.pipeline import Pipeline
from accord.runtime.probes import OpenAPIDocument, Probes, QuietProbes, ReadinessCheck
from accord.runtime.reference import ReferencePage
from accord.runtime.routing import Handler as RouteHandler
from accord.runtime.routing import Router
from accord.runtime.translation import Answers, answering
from accord.runtime.types import ASGIApp, Receive, Scope, Send

__all__ = ["App"]


def _open(handler: RouteHandler) -> RouteHandler:
    return handler


class App:
    """Serves one contract (and more with :meth:`mount`) as an ASGI 3 application.

    Construction checks that ``implementation`` has ``async def <name>(self, request)``
    for every operation, and raises :class:`~accord.errors.ContractError` otherwise.
    ``readiness`` checks raise to report "not ready"; each gets 2 s. ``limits``
    (:class:`~accord.runtime.limits.Limits`) bound the head, the body and the JSON of
    every request; ``max_body_bytes``, when given, replaces the body limit of ``limits``
    (bodies over it are refused with 413). ``layers`` wrap every operation, the first
    outermost (:mod:`accord.runtime.layers`); probes and documents are never wrapped.
    ``metadata_guard`` wraps ``/metrics`` and the OpenAPI documents (an
    :meth:`~accord.runtime.auth.Authentication.guarding` that asks for a token); without
    it they are open. ``/livez`` and ``/readyz`` are always open; with ``quiet_probes``
    (the default) a ``GET`` of either is answered with no span and no request line, only
    counted in the duration histogram (:class:`~accord.runtime.probes.QuietProbes`);
    turn it off to trace and log probes like any request. ``errors`` is the
    implementations' one table from their own (domain) exceptions to the contract's
    errors: an operation of any contract served, mounted ones too, that raises an
    exception of a class it names is answered with what it makes of it
    (:func:`~accord.runtime.translation.answering`).

    With ``freeze_gc`` (the default), the lifespan start-up ends with ``gc.collect()``
    and ``gc.freeze()`` once the ``on_startup`` hooks have run: what exists then lives as
    long as the process, and the garbage collector's full passes stop rescanning it
    (pauses of tens of milliseconds otherwise), and the youngest generation is collected
    every 10,000 allocations instead of 700
    (:data:`~accord.runtime.lifespan.SERVING_GEN0_THRESHOLD`). Shutdown unfreezes it and
    restores the thresholds. Turn it off when the process must keep the collector's
    default behaviour, e.g. an app started and stopped many times in one process whose
    start-up objects should be collectable.
    """

    def __init__(
        self,
        contract: type[Contract],
        implementation: object,
        *,
        telemetry: Telemetry | None = None,
        readiness: Mapping[str, ReadinessCheck] | None = None,
        max_body_bytes: int | None = None,
        limits: Limits | None = None,
        on_startup: Sequence[Hook] = (),
        on_shutdown: Sequence[Hook] = (),
        freeze_gc: bool = True,
        layers: Sequence[Layer] = (),
        metadata_guard: Callable[[RouteHandler], RouteHandler] | None = None,
        quiet_probes: bool = True,
        errors: Answers | None = None,
    ) -> None:
        limits = limits if limits is not None else Limits()
        if max_body_bytes is not None:
            if max_body_bytes < 0:
                raise ContractError("max_body_bytes must not be negative")
            limits = msgspec.structs.replace(limits, max_body_bytes=max_body_bytes)
        self.limits = limits
        self.telemetry = (
            telemetry if telemetry is not None else Telemetry.noop(contract.name, contract.version)
        )
        self.contracts: list[type[Contract]] = []
        self._on_startup = tuple(on_startup)
        self._on_shutdown = tuple(on_shutdown)
        self._freeze_gc = freeze_gc
        self._layers = tuple(layers)
        self._errors: Answers = dict(errors or {})
        self._guard = metadata_guard or _open
        self._router = Router()
        self._probes = Probes(self.telemetry.metrics, readiness or {})
        self._router.add("GET", "/livez", self._probes.livez)
        self._router.add("GET", "/readyz", self._probes.readyz)
        self._router.add("GET", "/metrics", self._guard(self._probes.metrics))
        # The pipeline picks out the headers the layers read; mounted endpoints add theirs.
        self._pipeline = Pipeline(self._router, self.telemetry, limits, reads=reads_of(*layers))
        self.mount(contract, implementation)
        self._router.add("GET", "/docs", ReferencePage(self.contracts))
        quiet = QuietProbes(self._probes, self.telemetry, limits, self._pipeline)
        self._quiet: ASGIApp = quiet if quiet_probes else self._pipeline
        self._quiet_paths = quiet.paths if quiet_probes else frozenset()

    def mount(self, contract: type[Contract], implementation: object) -> None:
        """Serve another contract (another major version) from this app."""
        taken = {c.prefix(): c for c in self.contracts}
        if contract.prefix() in taken:
            raise ContractError(
                f"{contract.name} {contract.version} and {taken[contract.prefix()].name} "
                f"{taken[contract.prefix()].version} both live under {contract.prefix()}"
            )
        methods = bind_implementation(contract, implementation)
        for name, op in contract.operations.items():
            method = answering(methods[name], self._errors)
            endpoint = Endpoint(op, method, limits=self.limits, layers=self._layers)
            self._router.add(op.method, op.path, endpoint)
            self._pipeline.declare(endpoint.reads)
            # Fields the contract marks secret are redacted from logs and spans by name.
            mark_secret(*secret_fields(op.request), *secret_fields(op.response))
        document = self._guard(OpenAPIDocument(contract))
        self._router.add("GET", f"{contract.prefix()}/openapi.json", document)
        if not self.contracts:
            self._router.add("GET", "/openapi.json", document)
        self.contracts.append(contract)

    def identify(self, instance: str) -> None:
        """Echo ``instance`` in the ``accord-instance`` header of every ready ``/readyz``.

        A supervisor passes a nonce new at each start (``accord serve`` reads it from
        ``$ACCORD_INSTANCE``) and counts the service ready only when the answer carries
        it: its own process answered, not whatever else listens on the port.
        """
        self._probes.instance = instance.encode("latin-1")

    def warn(self, message: str) -> None:
        """Add ``message`` to the ``warnings`` of every ready ``/readyz`` answer (e.g.
        ``accord up --plain``: calls are not encrypted)."""
        self._probes.warnings.append(message)

    def add_route(self, method: str, path: str, handler: RouteHandler) -> None:
        """Serve ``handler`` at ``method path`` beside the operations (an admin endpoint).

        Like the probes it is never layered: wrap it in a guard yourself
        (:meth:`~accord.runtime.auth.Authentication.guarding`).
        """
        self._router.add(method, path, handler)

    def begin_shutdown(self) -> None:
        """Answer 503 on ``/readyz`` from now on (the process is about to stop)."""
        self._probes.shutting_down = True

    @property
    def shutting_down(self) -> bool:
        """Whether :meth:`begin_shutdown` was called."""
        return self._probes.shutting_down

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI 3 entry point."""
        kind = scope["type"]
        if kind == "http":
            if scope["path"] in self._quiet_paths and scope["method"] == "GET":
                await self._quiet(scope, receive, send)
            else:
                await self._pipeline(scope, receive, send)
        elif kind == "lifespan":
            await run_lifespan(
                receive,
                send,
                on_startup=self._on_startup,
                on_shutdown=self._on_shutdown,
                telemetry=self.telemetry,
                freeze_gc=self._freeze_gc,
            )
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1003})
