"""What is measured: the variants, the two endpoints and the order every request sends."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import msgspec

__all__ = [
    "BAD_ORDER",
    "ENDPOINTS",
    "ORDER",
    "ORDER_TOTAL",
    "REFERENCE",
    "VARIANTS",
    "Variant",
]

#: The endpoints, in the order they are reported.
ENDPOINTS = ("ping", "order")

#: The variant every ratio is computed against.
REFERENCE = "fastapi"

#: The order body sent with every ``POST /orders``: five items.
ORDER: bytes = msgspec.json.encode(
    {
        "customer_id": "cust-0042",
        "items": [{"sku": f"SKU-{n}", "qty": n} for n in range(1, 6)],
        "note": "leave at the door",
    }
)
#: The ``total_items`` a correct server answers for :data:`ORDER`.
ORDER_TOTAL = 15

#: An order every variant must refuse with 422 (a quantity of zero).
BAD_ORDER: bytes = msgspec.json.encode(
    {"customer_id": "cust-0042", "items": [{"sku": "SKU-1", "qty": 0}]}
)


@dataclass(frozen=True)
class Variant:
    """One stack under test: the app factory uvicorn loads and the environment it gets.

    ``env`` is added to an environment with every ``OTEL_*`` variable removed, so a
    variant gets the defaults unless it says otherwise; values may use ``{tmp}``, replaced
    by a scratch directory of the run (span and log files go there).
    """

    name: str
    module: str
    description: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def factory(self) -> str:
        """The ``module:callable`` uvicorn is given with ``--factory``."""
        return f"{self.module}:create_app"

    def paths(self) -> dict[str, str]:
        """Endpoint name → URL path, read from the app module's ``PATHS``."""
        paths: dict[str, str] = importlib.import_module(self.module).PATHS
        return dict(paths)


_ACCORD_ENV = {"BENCH_TELEMETRY_DIR": "{tmp}"}

#: Every known variant, in the order they are run and reported.
VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant(
            "accord_sampled",
            "bench.apps.accord_full",
            "accord, everything on, the default sampler (parent-based, 10%)",
            _ACCORD_ENV,
        ),
        Variant(
            "accord_traced_all",
            "bench.apps.accord_full",
            "accord, everything on, every request traced",
            {**_ACCORD_ENV, "OTEL_TRACES_SAMPLER": "always_on"},
        ),
        Variant("fastapi", "bench.apps.fastapi_app", "FastAPI + pydantic"),
        Variant("starlette_msgspec", "bench.apps.starlette_msgspec", "Starlette + msgspec"),
    )
}
