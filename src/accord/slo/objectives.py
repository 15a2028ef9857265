"""Service-level objectives: what share of a service's answers must be good, over what window.

Two kinds of service-level indicator (SLI), both a share of requests:

- **availability**: answers that are not 5xx (a 4xx is the caller's fault and counts as good);
- **latency**: answers within a threshold (a bound of the duration histogram, in seconds).

An objective covers the whole service or one operation of its contract, and has a target
(``0.999``) over a window (28 days unless said)::

    SLOS = (
        availability(0.999),
        latency(0.25, 0.99, operation=Orders.place_order),
    )

The tuple is registered beside the contracts in ``accord.toml`` (``slos = "pkg.slo:SLOS"``).
"""

from __future__ import annotations

import datetime
import enum
import math
from typing import Any

import msgspec

from accord.errors import AccordError
from accord.observability.buckets import DURATION_BUCKETS

__all__ = [
    "DEFAULT_WINDOW",
    "SLI",
    "Objective",
    "SLOError",
    "availability",
    "latency",
]

#: The window of an objective unless it says otherwise.
DEFAULT_WINDOW = datetime.timedelta(days=28)


class SLOError(AccordError):
    """An objective is declared wrongly, or a service's objectives cannot be read."""


class SLI(enum.StrEnum):
    """What an objective measures."""

    AVAILABILITY = "availability"
    LATENCY = "latency"


class Objective(msgspec.Struct, frozen=True, kw_only=True):
    """One service-level objective.

    ``method`` and ``route`` name one operation (the route *template*, as the metrics label
    it); both empty means every operation of the service. ``threshold`` is in seconds and
    only set for latency.
    """

    name: str
    sli: SLI
    target: float
    window: datetime.timedelta = DEFAULT_WINDOW
    threshold: float | None = None
    method: str = ""
    route: str = ""

    @property
    def budget(self) -> float:
        """The error budget: the share of requests allowed to be bad (``1 - target``)."""
        return 1.0 - self.target

    @property
    def scope(self) -> str:
        """``METHOD /route`` for one operation, ``service`` for the whole service."""
        return f"{self.method} {self.route}" if self.route else "service"

    def describe(self) -> str:
        """A one-line description: ``99.9% of answers not 5xx over 28d (service)``."""
        what = (
            "answers not 5xx"
            if self.sli is SLI.AVAILABILITY
            else f"answers within {_ms(self.threshold)}"
        )
        return f"{_pct(self.target)} of {what} over {_days(self.window)} ({self.scope})"


def availability(
    target: float,
    *,
    operation: Any = None,
    window: datetime.timedelta = DEFAULT_WINDOW,
    name: str = "",
) -> Objective:
    """The share of answers that are not 5xx must reach ``target`` over ``window``.

    ``operation`` is a contract's operation (``Orders.place_order``); None: the service.
    """
    method, route, op_name = _operation(operation)
    return _checked(
        Objective(
            name=name or _name(op_name, SLI.AVAILABILITY),
            sli=SLI.AVAILABILITY,
            target=target,
            window=window,
            method=method,
            route=route,
        )
    )


def latency(
    threshold: float,
    target: float,
    *,
    operation: Any = None,
    window: datetime.timedelta = DEFAULT_WINDOW,
    name: str = "",
) -> Objective:
    """The share of answers within ``threshold`` seconds must reach ``target`` over ``window``.

    ``threshold`` must be a bound of the duration histogram
    (:data:`accord.observability.metrics.DURATION_BUCKETS`), so the SLI is exact.
    """
    method, route, op_name = _operation(operation)
    if not any(math.isclose(threshold, b) for b in DURATION_BUCKETS):
        bounds = ", ".join(f"{b:g}" for b in DURATION_BUCKETS)
        raise SLOError(f"latency threshold {threshold:g}s is not a histogram bound ({bounds})")
    return _checked(
        Objective(
            name=name or _name(op_name, SLI.LATENCY),
            sli=SLI.LATENCY,
            target=target,
            window=window,
            threshold=float(threshold),
            method=method,
            route=route,
        )
    )


def _operation(operation: Any) -> tuple[str, str, str]:
    if operation is None:
        return "", "", ""
    try:
        return str(operation.method), str(operation.path), str(operation.name)
    except AttributeError:
        raise SLOError(f"{operation!r} is not a contract operation") from None


def _name(op_name: str, sli: SLI) -> str:
    return f"{op_name.replace('_', '-')}-{sli.value}" if op_name else sli.value


def _checked(objective: Objective) -> Objective:
    if not 0.0 < objective.target < 1.0:
        raise SLOError(f"{objective.name}: target {objective.target!r} is not within (0, 1)")
    if objective.window <= datetime.timedelta(0):
        raise SLOError(f"{objective.name}: the window must be positive")
    return objective


def _pct(share: float) -> str:
    return f"{share * 100:.4g}%"


def _ms(seconds: float | None) -> str:
    return f"{(seconds or 0.0) * 1000:g} ms"


def _days(window: datetime.timedelta) -> str:
    days = window.total_seconds() / 86400
    return f"{days:g}d" if days >= 1 else f"{window.total_seconds() / 3600:g}h"
