"""Fault injection, in the manner of Envoy's fault filter: delays and aborts, on purpose.

Off unless configured: in a service's configuration file (``faults``, applied live when
the file changes: ``docs/configuration.md``), or from ``<SERVICE>_FAULTS`` (e.g.
``PAYMENTS_FAULTS``), else ``ACCORD_FAULTS``, a JSON object::

    {"delay": {"seconds": 0.5, "percent": 20},
     "abort": {"status": 503, "percent": 10},
     "operations": {"authorize": {"abort": {"status": 503, "percent": 100}}}}

- ``delay``: that percentage of requests wait ``seconds`` before being handled;
- ``abort``: that percentage are answered at once with a problem of that status (a
  standard error's: 503 is ``unavailable`` with ``Retry-After: 1``, 429 ``rate_limited``
  with ``Retry-After: 1``, 500 ``internal``, 504 ``deadline_exceeded``…), the handler
  never called;
- ``operations``: per operation name, a ``delay``/``abort`` pair that replaces the
  service-wide one for that operation.

A request may be both delayed and then aborted, as in Envoy. Each injected fault counts
in ``accord_faults_injected_total{operation,fault}``. A configuration that does not
parse stops the service at start-up with a one-line :class:`FaultConfigError`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from accord.contract import Operation
from accord.errors import STANDARD_ERRORS, AccordError, ServiceError
from accord.observability.telemetry import Telemetry
from accord.runtime.layers import Handler
from accord.runtime.requests import Request
from accord.runtime.responses import Response

__all__ = [
    "AbortFault",
    "DelayFault",
    "FaultConfig",
    "FaultConfigError",
    "FaultInjection",
    "Faults",
    "faults_from_env",
]

#: The environment variable holding the faults of every service of a host.
FAULTS_VARIABLE = "ACCORD_FAULTS"

# The standard error answering each status an abort may use (the first one declared).
_BY_STATUS: dict[int, type[ServiceError[Any]]] = {}
for _error in STANDARD_ERRORS:
    _BY_STATUS.setdefault(_error.status, _error)
_RETRY_AFTER = frozenset({429, 503})


class FaultConfigError(AccordError, ValueError):
    """The fault configuration cannot be used (the message says why, in one line)."""


class DelayFault(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Wait ``seconds`` before handling ``percent`` % of requests."""

    seconds: float
    percent: float = 100.0


class AbortFault(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Answer ``percent`` % of requests with a problem of ``status``, unhandled."""

    status: int
    percent: float = 100.0


class Faults(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The faults of one operation (or the service-wide default)."""

    delay: DelayFault | None = None
    abort: AbortFault | None = None


class FaultConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The faults of a service: a default and per-operation replacements."""

    delay: DelayFault | None = None
    abort: AbortFault | None = None
    operations: dict[str, Faults] = {}

    @classmethod
    def parse(cls, text: str | bytes) -> FaultConfig:
        """Parse and check the JSON configuration; :class:`FaultConfigError` says what is wrong."""
        try:
            config = msgspec.json.decode(text, type=cls)
        except msgspec.DecodeError as exc:
            raise FaultConfigError(f"invalid fault configuration: {exc}") from None
        config._check()
        return config

    def validate(self) -> None:
        """Raise :class:`FaultConfigError` when a value is out of range (one line)."""
        self._check()

    def for_operation(self, name: str) -> Faults:
        """The faults of operation ``name``."""
        own = self.operations.get(name)
        return own if own is not None else Faults(delay=self.delay, abort=self.abort)

    def _check(self) -> None:
        checks: list[tuple[str, Faults]] = [("", Faults(delay=self.delay, abort=self.abort))]
        checks += [(f"operations.{name}.", faults) for name, faults in self.operations.items()]
        for where, faults in checks:
            if faults.delay is not None:
                _check_percent(f"{where}delay", faults.delay.percent)
                if not 0.0 <= faults.delay.seconds <= 3600.0:
                    raise FaultConfigError(
                        f"invalid fault configuration: {where}delay.seconds must be within "
                        f"0..3600, not {faults.delay.seconds}"
                    )
            if faults.abort is not None:
                _check_percent(f"{where}abort", faults.abort.percent)
                if faults.abort.status not in _BY_STATUS or faults.abort.status < 400:
                    statuses = ", ".join(str(s) for s in sorted(_BY_STATUS))
                    raise FaultConfigError(
                        f"invalid fault configuration: {where}abort.status must be one of "
                        f"{statuses}, not {faults.abort.status}"
                    )


def _check_percent(where: str, percent: float) -> None:
    if not 0.0 <= percent <= 100.0:
        raise FaultConfigError(
            f"invalid fault configuration: {where}.percent must be within 0..100, not {percent}"
        )


def faults_from_env(environ: Mapping[str, str], service: str) -> FaultConfig | None:
    """``<SERVICE>_FAULTS``, else ``ACCORD_FAULTS``, parsed; ``None`` when neither is set."""
    for variable in (f"{service.upper()}_FAULTS", FAULTS_VARIABLE):
        raw = environ.get(variable, "").strip()
        if raw:
            try:
                return FaultConfig.parse(raw)
            except FaultConfigError as exc:
                raise FaultConfigError(f"{variable}: {exc}") from None
    return None


class FaultInjection:
    """A :class:`~accord.runtime.layers.Layer` injecting the configured delays and aborts.

    An operation without faults keeps its handler unchanged: nothing is paid for an
    unconfigured operation. ``chance`` (a number in [0, 1)) and ``sleep`` are injectable.
    """

    __slots__ = ("_chance", "_config", "_metrics", "_sleep")

    def __init__(
        self,
        config: FaultConfig | Callable[[], FaultConfig | None] | None,
        *,
        telemetry: Telemetry | None = None,
        chance: Callable[[], float] = random.random,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self._config = config
        self._metrics = telemetry.metrics if telemetry is not None else None
        self._chance = chance
        self._sleep = sleep

    def wrap(self, operation: Operation[Any, Any], handler: Handler) -> Handler:
        """``handler`` behind the faults configured for ``operation``."""
        if callable(self._config):
            return self._wrap_live(operation, handler, self._config)
        if self._config is None:
            return handler
        faults = self._config.for_operation(operation.name)
        delay, abort = faults.delay, faults.abort
        if (delay is None or delay.percent == 0) and (abort is None or abort.percent == 0):
            return handler
        name = f"{operation.contract.name}.{operation.name}"
        chance = self._chance
        sleep = self._sleep
        metrics = self._metrics

        async def with_faults(request: Request) -> Response:
            if delay is not None and chance() * 100.0 < delay.percent:
                if metrics is not None:
                    metrics.count_fault(name, "delay")
                await sleep(delay.seconds)
            if abort is not None and chance() * 100.0 < abort.percent:
                if metrics is not None:
                    metrics.count_fault(name, "abort")
                raise _abort(abort.status)
            return await handler(request)

        return with_faults

    def _wrap_live(
        self,
        operation: Operation[Any, Any],
        handler: Handler,
        current: Callable[[], FaultConfig | None],
    ) -> Handler:
        """``handler`` behind the faults the getter returns for each request."""
        name = f"{operation.contract.name}.{operation.name}"
        op = operation.name
        chance, sleep, metrics = self._chance, self._sleep, self._metrics

        async def with_live_faults(request: Request) -> Response:
            config = current()
            if config is None:
                return await handler(request)
            faults = config.for_operation(op)
            delay, abort = faults.delay, faults.abort
            if delay is not None and delay.percent and chance() * 100.0 < delay.percent:
                if metrics is not None:
                    metrics.count_fault(name, "delay")
                await sleep(delay.seconds)
            if abort is not None and abort.percent and chance() * 100.0 < abort.percent:
                if metrics is not None:
                    metrics.count_fault(name, "abort")
                raise _abort(abort.status)
            return await handler(request)

        return with_live_faults


def _abort(status: int) -> ServiceError[Any]:
    error = _BY_STATUS[status](f"fault injected: abort with {status}")
    return error.with_header("Retry-After", "1") if status in _RETRY_AFTER else error
