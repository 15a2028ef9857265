"""A project's objectives, as ``accord.toml`` registers them beside the contracts::

    [services.orders]
    app = "shop.orders.bootstrap:create_app"
    contracts = ["shop.orders.contract:Orders"]
    slos = "shop.orders.slo:SLOS"        # a sequence of Objective

A service-wide objective counts the requests of every operation of the service's
contracts (by method and route template); the runtime's own routes (probes, ``/metrics``,
the OpenAPI documents) and unmatched paths are not customers' requests and never count.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from accord.project import Project, ProjectError, import_object
from accord.slo.objectives import Objective, SLOError

__all__ = ["ServiceObjectives", "load_objectives"]


class ServiceObjectives(msgspec.Struct, frozen=True, kw_only=True):
    """One service's objectives and the operations (method, route template) of its contracts."""

    service: str
    host: str
    port: int
    operations: tuple[tuple[str, str], ...]
    objectives: tuple[Objective, ...]

    @property
    def url(self) -> str:
        """Where the service answers (plain HTTP on its well-known port)."""
        return f"http://{self.host}:{self.port}"

    def covers(self, objective: Objective, method: str, route: str) -> bool:
        """Whether a request ``method route`` counts for ``objective``: its operation's, or
        for a service-wide objective any route of the service's operations."""
        if objective.route:
            return (method, route) == (objective.method, objective.route)
        return route in self.routes

    @property
    def routes(self) -> tuple[str, ...]:
        """The route templates of the service's operations, each once, sorted."""
        return tuple(sorted({route for _, route in self.operations}))


def load_objectives(project: Project, only: str | None = None) -> list[ServiceObjectives]:
    """The objectives of every service that registers some (or of ``only``), in file order.

    Raises :class:`SLOError` for an unknown service, a reference that does not import, or
    a declaration that is not a sequence of objectives.
    """
    if only is not None and only not in project.services:
        raise SLOError(f"unknown service {only!r} (known: {', '.join(project.services)})")
    out: list[ServiceObjectives] = []
    for name, spec in project.services.items():
        if (only is not None and name != only) or not spec.slos:
            continue
        try:
            declared = import_object(spec.slos)
            contracts = [import_object(ref) for ref in spec.contracts]
        except ProjectError as exc:
            raise SLOError(f"{name}: {exc}") from None
        objectives = _objectives(name, declared)
        operations = tuple(
            (op.method, op.path) for contract in contracts for op in contract.operations.values()
        )
        for objective in objectives:
            if objective.route and (objective.method, objective.route) not in operations:
                raise SLOError(
                    f"{name}: objective {objective.name} names {objective.scope}, "
                    "which is not an operation of its contracts"
                )
        out.append(
            ServiceObjectives(
                service=name,
                host=spec.host,
                port=spec.port,
                operations=operations,
                objectives=objectives,
            )
        )
    if only is not None and not out:
        raise SLOError(f"{only} declares no objectives (slos = ... in accord.toml)")
    return out


def _objectives(service: str, declared: object) -> tuple[Objective, ...]:
    if not isinstance(declared, Iterable) or isinstance(declared, str | bytes):
        raise SLOError(f"{service}: slos must be a sequence of objectives")
    items = tuple(declared)
    if not items or not all(isinstance(o, Objective) for o in items):
        raise SLOError(f"{service}: slos must be a non-empty sequence of objectives")
    names = [o.name for o in items]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SLOError(f"{service}: objective names must be unique ({', '.join(twice)})")
    return items
