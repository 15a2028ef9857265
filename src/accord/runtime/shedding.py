"""Load shedding: a server takes at most so many operations at once, and refuses the rest now.

A bulkhead around the whole server: :class:`LoadShedding` counts the operations in
flight across every operation it wraps; one more than ``max_in_flight`` is answered at
once with a 503 ``unavailable`` problem and ``Retry-After: 1``, without queueing, so an
overloaded server answers quickly instead of letting every caller time out. Probes
(``/livez``, ``/readyz``) and ``/metrics`` are never layered, so they keep answering.

Each refusal counts in ``accord_server_shed_total{operation}``; a ``request_shed`` log
line reports refusals, at most one a second (with how many since the last one), so a
flood does not also flood the logs.

The limit is a number, or a getter read on every request when it follows live
configuration (:mod:`accord.config.live`)::

    layers = [LoadShedding(512, telemetry=telemetry)]
    layers = [LoadShedding(live.value(lambda s: s.max_in_flight), telemetry=telemetry)]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from accord.contract import Operation
from accord.errors import Unavailable
from accord.observability.telemetry import Telemetry
from accord.runtime.layers import Handler
from accord.runtime.requests import Request
from accord.runtime.responses import Response

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "LoadShedding", "max_in_flight_from_env"]

#: Operations one server process runs at once unless configured: generous, a guard
#: against collapse rather than a tuning knob.
DEFAULT_MAX_IN_FLIGHT = 512
#: The environment variable that sets the limit for every service of a host.
MAX_IN_FLIGHT_VARIABLE = "ACCORD_MAX_IN_FLIGHT"
_LOG_EVERY = 1.0


def max_in_flight_from_env(environ: Mapping[str, str], service: str) -> int:
    """The limit: ``<SERVICE>_MAX_IN_FLIGHT``, else ``ACCORD_MAX_IN_FLIGHT``, else 512.

    Raises ``ValueError`` with a one-line reason when the value is not a positive integer.
    """
    own = f"{service.upper()}_MAX_IN_FLIGHT"
    for variable in (own, MAX_IN_FLIGHT_VARIABLE):
        raw = environ.get(variable, "").strip()
        if raw:
            try:
                value = int(raw)
            except ValueError:
                raise ValueError(f"{variable} must be a positive integer, not {raw!r}") from None
            if value < 1:
                raise ValueError(f"{variable} must be a positive integer, not {raw!r}")
            return value
    return DEFAULT_MAX_IN_FLIGHT


class LoadShedding:
    """A :class:`~accord.runtime.layers.Layer`: at most ``max_in_flight`` operations at once.

    One instance is one bulkhead: every operation it wraps shares the count. The event
    loop is single-threaded, so the count needs no lock. ``clock`` paces the log lines.
    """

    __slots__ = ("_clock", "_in_flight", "_limit", "_logged_at", "_logger", "_metrics", "_unlogged")

    def __init__(
        self,
        max_in_flight: int | Callable[[], int] = DEFAULT_MAX_IN_FLIGHT,
        *,
        telemetry: Telemetry | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if callable(max_in_flight):
            self._limit = max_in_flight
        else:
            if max_in_flight < 1:
                raise ValueError(f"max_in_flight must be at least 1, not {max_in_flight}")
            fixed = max_in_flight
            self._limit = lambda: fixed
        self._in_flight = 0
        self._metrics = telemetry.metrics if telemetry is not None else None
        self._logger = telemetry.logger if telemetry is not None else None
        self._clock = clock
        self._logged_at = float("-inf")
        self._unlogged = 0

    @property
    def limit(self) -> int:
        """The most operations served at once, now."""
        return self._limit()

    @property
    def in_flight(self) -> int:
        """Operations running now under this bulkhead."""
        return self._in_flight

    def wrap(self, operation: Operation[Any, Any], handler: Handler) -> Handler:
        """``handler`` behind this bulkhead."""
        name = f"{operation.contract.name}.{operation.name}"

        current = self._limit

        async def within_limit(request: Request) -> Response:
            limit = current()
            if self._in_flight >= limit:
                self._shed(name, limit)
                raise Unavailable(
                    f"the server is at its limit of {limit} requests in flight; "
                    "retry after a second"
                ).with_header("Retry-After", "1")
            self._in_flight += 1
            try:
                return await handler(request)
            finally:
                self._in_flight -= 1

        return within_limit

    def _shed(self, name: str, limit: int) -> None:
        if self._metrics is not None:
            self._metrics.count_shed(name)
        self._unlogged += 1
        now = self._clock()
        if self._logger is not None and now - self._logged_at >= _LOG_EVERY:
            self._logger.warning(
                "request_shed",
                operation=name,
                in_flight=self._in_flight,
                limit=limit,
                shed=self._unlogged,
            )
            self._logged_at = now
            self._unlogged = 0
